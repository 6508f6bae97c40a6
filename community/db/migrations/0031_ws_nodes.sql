-- One liveness row per websocket node: a node's heartbeat is one cheap statement a period (this
-- row), not an UPDATE of every socket's and every user's row. Its sockets (ws_connections) and
-- presence rows (ws_presence) count while the row is fresh; a crashed node's rows stop counting
-- once it goes stale and are swept with it. Rows belong to nodes, not orgs: the app role reads
-- them and writes them only through the functions below.
CREATE TABLE ws_nodes (
    node_id uuid PRIMARY KEY,
    seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ws_nodes_seen_idx ON ws_nodes (seen_at);
GRANT SELECT ON ws_nodes TO community_app;

-- The heartbeat: this node is alive; the releases it could not make before (an outage) are made
-- now; the rows of nodes stale ten times over (crashed, never to beat again) go.
CREATE FUNCTION ws_node_heartbeat(node uuid, released uuid[], stale interval) RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public AS
$$
    INSERT INTO ws_nodes (node_id) VALUES (node) ON CONFLICT (node_id) DO UPDATE SET seen_at = now();
    DELETE FROM ws_connections WHERE node_id = node AND connection_id = ANY(released);
    DELETE FROM ws_connections WHERE node_id IN (SELECT node_id FROM ws_nodes WHERE seen_at < now() - stale * 10);
    DELETE FROM ws_presence WHERE node_id IN (SELECT node_id FROM ws_nodes WHERE seen_at < now() - stale * 10);
    DELETE FROM ws_nodes WHERE seen_at < now() - stale * 10;
$$;

-- The per-user limit counts the sockets of live nodes (a claim makes its own node known, so a
-- node's first sockets count before its first heartbeat).
CREATE OR REPLACE FUNCTION ws_connection_claim(node uuid, conn uuid, person uuid, max_open integer, stale interval)
RETURNS boolean LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public AS
$$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('ws_connections:' || person::text, 0));
    IF (SELECT count(*) FROM ws_connections c JOIN ws_nodes n ON n.node_id = c.node_id
        WHERE c.user_id = person AND n.seen_at >= now() - stale) >= max_open THEN
        RETURN false;
    END IF;
    INSERT INTO ws_nodes (node_id) VALUES (node) ON CONFLICT (node_id) DO NOTHING;
    INSERT INTO ws_connections (node_id, connection_id, user_id) VALUES (node, conn, person);
    RETURN true;
END
$$;

GRANT EXECUTE ON FUNCTION ws_node_heartbeat(uuid, uuid[], interval) TO community_app;
