-- The courier's PDA lists a result's courier orders too (ADR 0029): a delivery into an own kiosk
-- (and the pickup that takes an uncollected result back to the hall), each with the code the
-- courier types or scans, owned by the courier the dispatch system assigned.

-- Whom the dispatch system assigned the order to (its `assigned` webhook), and the order's code:
-- its access code row (for the QR form) and the code itself, AES-256-GCM sealed with the order id as
-- associated data like a visit's code, so the PDA can show it again; cleared when the order is done.
ALTER TABLE courier_orders
  ADD COLUMN courier_id text,
  ADD COLUMN code_id uuid,
  ADD COLUMN code_enc bytea;
CREATE INDEX courier_orders_courier ON courier_orders (courier_id) WHERE courier_id IS NOT NULL;

-- What the courier confirmed or reported on the PDA for such an order (idempotent by order and step).
CREATE TABLE courier_order_steps (
  order_id   uuid NOT NULL REFERENCES courier_orders(id),
  parcel_id  uuid NOT NULL REFERENCES parcels(id),
  step       text NOT NULL CHECK (step IN ('picked_up', 'delivered', 'failed')),
  reason     text,
  user_id    uuid NOT NULL REFERENCES users(id),
  at         timestamptz NOT NULL,
  PRIMARY KEY (order_id, step)
);
