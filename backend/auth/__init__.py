"""Accounts, roles and (from issue 3) passkeys, sessions and the audit log."""
