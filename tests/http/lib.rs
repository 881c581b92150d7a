//! Nothing here: this member is its tests, each a file beside this one.
