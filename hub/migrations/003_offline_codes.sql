-- Offline codes (ADR 0008). Each code also carries its offline hash (HMAC under its site's offline
-- key, which the site's kiosks hold), and a per-site version that says when it last changed in a
-- way a kiosk must learn (issued, used, revoked, validity moved). The version comes from one row per
-- site, bumped under its row lock, so versions are handed out in commit order: a kiosk that has
-- seen version V has seen every change up to V, and a pull "after V" misses nothing.

ALTER TABLE access_codes
  ADD COLUMN offline_hash bytea,                           -- HMAC-SHA256(site offline key, code); the code itself is never stored
  ADD COLUMN sync_version bigint NOT NULL DEFAULT 0,
  ADD COLUMN used_offline boolean NOT NULL DEFAULT false;  -- used at a kiosk without the hub, learnt from its replayed journal

CREATE INDEX access_codes_site_sync ON access_codes (site_id, sync_version);

CREATE TABLE site_code_versions (
  site_id uuid PRIMARY KEY REFERENCES sites(id),
  version bigint NOT NULL
);

-- Every path that issues, uses or revokes a code goes through these triggers: no caller can forget
-- to bump the version or to tell the hub processes (NOTIFY is delivered only on commit).
CREATE FUNCTION access_codes_bump_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO site_code_versions (site_id, version) VALUES (NEW.site_id, 1)
  ON CONFLICT (site_id) DO UPDATE SET version = site_code_versions.version + 1
  RETURNING version INTO NEW.sync_version;
  PERFORM pg_notify('xinbao_codes_changed', NEW.site_id::text);
  RETURN NEW;
END $$;

CREATE TRIGGER access_codes_sync_insert BEFORE INSERT ON access_codes
  FOR EACH ROW EXECUTE FUNCTION access_codes_bump_sync();
CREATE TRIGGER access_codes_sync_update BEFORE UPDATE OF used_at, revoked_at, valid_from, expires_at ON access_codes
  FOR EACH ROW WHEN (OLD.used_at IS DISTINCT FROM NEW.used_at OR OLD.revoked_at IS DISTINCT FROM NEW.revoked_at
                     OR OLD.valid_from IS DISTINCT FROM NEW.valid_from OR OLD.expires_at IS DISTINCT FROM NEW.expires_at)
  EXECUTE FUNCTION access_codes_bump_sync();
