//! Integration tests of oip: see tests/*.rs.
