-- The keypad's second factor (ADR 0018). A keypad code opens only with 6 digits only its holder has
-- (the last 6 of the phone the code was sent to, or a PIN sent with it). The hub keeps no digits of
-- either in clear: only keyed hashes of the code with its factor, beside the code's own hash.
-- Codes issued before this migration have neither: they open by their QR form only (the keypad
-- cannot judge them and refuses them like any wrong code).

ALTER TABLE access_codes
  ADD COLUMN factor_hash bytea,          -- HMAC-SHA256(code key, site ‖ code ‖ factor): what the hub judges a keypad entry by
  ADD COLUMN offline_keypad_hash bytea,  -- HMAC-SHA256(site offline key, offlineKeypadInput(site, code, factor)): what the site's kiosks judge it by offline
  ADD COLUMN factor_kind text CHECK (factor_kind IN ('phone', 'pin'));  -- how the holder knows the factor (never the factor)
