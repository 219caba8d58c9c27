"""One class per API area; one method per endpoint."""
