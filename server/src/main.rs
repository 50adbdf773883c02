//! `oip`: the server and its command line (see `oip_server::cli`).

/// mimalloc instead of the system allocator: under load glibc's malloc and free took a fifth of
/// the server's CPU time (see the README's load benchmark).
#[global_allocator]
static GLOBAL: oip_server::Allocator = oip_server::Allocator;

fn main() -> anyhow::Result<()> {
    oip_server::cli::main()
}
