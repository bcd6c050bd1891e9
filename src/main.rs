use std::process::ExitCode;

use clap::Parser;

/// jemalloc hands memory that bursts of requests used back to the system, where glibc's
/// allocator keeps it in per-thread arenas for good (the login_flood benchmark shows both).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = match calbridge::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // clap's message is the first paragraph; usage and tips follow a blank line.
            let rendered = e.to_string();
            let message: Vec<&str> =
                rendered.lines().take_while(|l| !l.trim().is_empty()).map(str::trim).collect();
            eprintln!("{} (see: calbridge --help)", message.join(" "));
            return ExitCode::from(2);
        }
    };
    // Purging on a background thread returns freed memory while the process is idle, too;
    // without it, memory is only purged when something allocates.
    let _ = tikv_jemalloc_ctl::background_thread::write(true);
    calbridge::cli::init_logging(matches!(cli.command, calbridge::cli::Command::Demo { .. }));
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(calbridge::cli::run(cli))
}
