-- A chat-start client id is unique per owner (a contact or a device), not per org: a client id that another
-- visitor already used starts a new chat instead of answering "already used", which told the caller that the
-- other visitor's chat exists. IFNULL because NULLs are distinct in a unique index, and each session has exactly
-- one of the two owners; client_id stays NULL-distinct, so starts without one never conflict.
DROP INDEX sessions_by_client_id;
CREATE UNIQUE INDEX sessions_by_owner_client_id
    ON sessions (org_id, IFNULL(contact_id, 0), IFNULL(device_hash, x''), client_id);
