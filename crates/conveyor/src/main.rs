use clap::Parser;
use conveyor::cli::{self, Cli};

// Many short-lived rows are allocated on one thread and freed on another (parse, then write);
// glibc's per-thread arenas fragment under that pattern, mimalloc does not.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match cli::run(Cli::parse()).await {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
