//! The integration tests, one binary (it links once): a real server on 127.0.0.1:0, a real
//! database (SQLite, and PostgreSQL when `DATABASE_URL` is set), the real policy modules.

mod claims;
mod console;
mod crash;
mod hot_swap;
mod keys;
mod new_region;
mod policies;
mod review;
mod security;
mod users;
mod webhooks;

/// Starts this package's `oip` binary as a server process.
pub(crate) fn start(data_dir: &std::path::Path, database_url: Option<&str>) -> oip_tests::Proc {
    oip_tests::start_bin(env!("CARGO_BIN_EXE_oip-under-test"), data_dir, database_url)
}
