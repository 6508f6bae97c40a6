-- Stripe billing: the org's subscription as Stripe last told us, a queue of received webhook
-- events (each id applied at most once), and the org's recent invoices.
--
-- The webhook route only verifies and inserts into `billing_events` (ON CONFLICT DO NOTHING: a
-- replayed id is a no-op); the billing actor claims rows with a lease (FOR UPDATE SKIP LOCKED, so
-- several nodes share the queue), reads the subscription as Stripe has it *now* and writes the
-- org's state from it, never from the event's delta: any order of the same events ends the same.

ALTER TABLE organizations
    ADD COLUMN billing_status varchar(20) NOT NULL DEFAULT 'none'
        CHECK (billing_status IN ('none', 'trialing', 'active', 'past_due', 'canceled')),
    ADD COLUMN current_period_end timestamptz,
    ADD COLUMN cancel_at_period_end boolean NOT NULL DEFAULT false,
    ADD COLUMN mrr_cents bigint NOT NULL DEFAULT 0 CHECK (mrr_cents >= 0),
    -- When the subscription went past due, and from when new joins are refused (past_due + grace).
    ADD COLUMN past_due_since timestamptz,
    ADD COLUMN joins_blocked_after timestamptz,
    -- Custom tier: the quantity Stripe bills, and when the member count last changed (debounce).
    ADD COLUMN billed_seats integer,
    ADD COLUMN seats_changed_at timestamptz,
    ADD COLUMN billing_synced_at timestamptz;
CREATE UNIQUE INDEX organizations_stripe_customer_idx ON organizations (stripe_customer_id)
    WHERE stripe_customer_id IS NOT NULL;

CREATE FUNCTION billing_seats_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.current_member_count IS DISTINCT FROM OLD.current_member_count THEN
        NEW.seats_changed_at := now();
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER organizations_seats_changed BEFORE UPDATE OF current_member_count ON organizations
    FOR EACH ROW EXECUTE FUNCTION billing_seats_changed();

CREATE TABLE billing_events (
    id varchar(255) PRIMARY KEY,  -- Stripe's event id: the idempotency key
    type varchar(100) NOT NULL,
    payload jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    claimed_until timestamptz,
    attempts integer NOT NULL DEFAULT 0,
    processed_at timestamptz,
    org_id uuid REFERENCES organizations (id) ON DELETE SET NULL,
    outcome varchar(40)
);
CREATE INDEX billing_events_pending_idx ON billing_events (received_at) WHERE processed_at IS NULL;

CREATE TABLE billing_invoices (
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id varchar(255) NOT NULL,  -- Stripe's invoice id
    number varchar(100),
    status varchar(30) NOT NULL,
    currency varchar(10) NOT NULL,
    amount_due bigint NOT NULL,
    amount_paid bigint NOT NULL,
    hosted_invoice_url text,
    period_start timestamptz,
    period_end timestamptz,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (org_id, id),
    UNIQUE (id)
);
CREATE INDEX billing_invoices_recent_idx ON billing_invoices (org_id, created_at DESC);

GRANT SELECT, INSERT, UPDATE, DELETE ON billing_events, billing_invoices TO community_app;

ALTER TABLE billing_invoices ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing_invoices FORCE ROW LEVEL SECURITY;
CREATE POLICY billing_invoices_tenant ON billing_invoices
    USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());

-- The event queue belongs to no org until an event is matched to one: it is read and written only
-- by the webhook route and the billing actor, outside any tenant context, so its policy admits
-- exactly that (no org context) and nothing else: a request in an org's context sees no row.
ALTER TABLE billing_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing_events FORCE ROW LEVEL SECURITY;
CREATE POLICY billing_events_platform ON billing_events
    USING (app_org_id() IS NULL) WITH CHECK (app_org_id() IS NULL);

-- The billing actor's windows through RLS, answering org ids only: which org a Stripe customer
-- belongs to, and which custom-tier orgs owe Stripe a new seat quantity.
CREATE FUNCTION billing_org_for_customer(customer text) RETURNS uuid LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public AS
$$ SELECT id FROM organizations WHERE stripe_customer_id = customer $$;
CREATE FUNCTION billing_seat_sync_due(debounce interval, n integer) RETURNS SETOF uuid LANGUAGE sql STABLE
SECURITY DEFINER SET search_path = public AS
$$ SELECT id FROM organizations
   WHERE subscription_tier = 'custom' AND stripe_subscription_id IS NOT NULL
     AND billing_status IN ('active', 'trialing', 'past_due')
     AND billed_seats IS DISTINCT FROM greatest(current_member_count, 1)
     AND coalesce(seats_changed_at, '-infinity') <= now() - debounce
   ORDER BY seats_changed_at NULLS FIRST LIMIT n $$;
-- The operator's report spans every org.
CREATE FUNCTION billing_report() RETURNS TABLE (
    org_id uuid, slug text, name text, tier text, status text, mrr_cents bigint, members integer,
    active_members bigint
) LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
$$ SELECT o.id, o.slug, o.name, o.subscription_tier, o.billing_status, o.mrr_cents, o.current_member_count,
          (SELECT count(DISTINCT a.actor_id) FROM activity a
           WHERE a.org_id = o.id AND a.actor_id IS NOT NULL AND a.created_at > now() - interval '30 days')
   FROM organizations o ORDER BY o.mrr_cents DESC, o.slug $$;
GRANT EXECUTE ON FUNCTION billing_org_for_customer(text), billing_seat_sync_due(interval, integer),
    billing_report() TO community_app;

-- Owners are told when a payment fails.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('mention', 'reply', 'watched_forum', 'watched_topic', 'announcement', 'message',
                    'event_cancelled', 'event_updated', 'event_promoted', 'event_reminder', 'billing_past_due'));
