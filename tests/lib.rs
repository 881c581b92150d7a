//! Workspace-level tests of fanvue-scopes live in this package's test targets.
