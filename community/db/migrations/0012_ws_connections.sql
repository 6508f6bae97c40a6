-- Open websockets per user across every node: the per-user connection limit counts them here,
-- so N nodes never allow N times the limit. Rows belong to nodes, not orgs: the app role reaches
-- them only through the functions below (no table grant, so no tenant policy is needed).
CREATE TABLE ws_connections (
    node_id uuid NOT NULL,
    connection_id uuid NOT NULL,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    opened_at timestamptz NOT NULL DEFAULT now(),
    seen_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (node_id, connection_id)
);
CREATE INDEX ws_connections_user_idx ON ws_connections (user_id, seen_at);

-- A slot for one more socket, or false at the limit. Claims for one user are serialised by a
-- transaction-scoped advisory lock, so concurrent handshakes on any nodes cannot both pass.
-- Rows a node stopped refreshing (it crashed) no longer count once `stale` has passed.
CREATE FUNCTION ws_connection_claim(node uuid, conn uuid, person uuid, max_open integer, stale interval)
RETURNS boolean LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public AS
$$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('ws_connections:' || person::text, 0));
    IF (SELECT count(*) FROM ws_connections WHERE user_id = person AND seen_at >= now() - stale) >= max_open THEN
        RETURN false;
    END IF;
    INSERT INTO ws_connections (node_id, connection_id, user_id) VALUES (node, conn, person);
    RETURN true;
END
$$;

CREATE FUNCTION ws_connection_release(node uuid, conn uuid) RETURNS void LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = public AS
$$ DELETE FROM ws_connections WHERE node_id = node AND connection_id = conn $$;

-- A node's heartbeat: its live sockets stay counted, any row it no longer holds goes (a release
-- lost to an outage), and long-stale rows of crashed nodes are swept.
CREATE FUNCTION ws_connections_heartbeat(node uuid, live uuid[], stale interval) RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public AS
$$
    UPDATE ws_connections SET seen_at = now() WHERE node_id = node AND connection_id = ANY(live);
    DELETE FROM ws_connections WHERE node_id = node AND NOT (connection_id = ANY(live));
    DELETE FROM ws_connections WHERE seen_at < now() - stale * 10;
$$;

GRANT EXECUTE ON FUNCTION ws_connection_claim(uuid, uuid, uuid, integer, interval),
    ws_connection_release(uuid, uuid), ws_connections_heartbeat(uuid, uuid[], interval) TO community_app;
