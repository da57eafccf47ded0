//! The `boilerstrip` command: parse the flags, run, map the outcome to an exit status
//! (0 all cleaned, 1 some inputs failed, 2 usage or fatal error).

mod cli;
mod run;

use std::process::ExitCode;

use clap::Parser;

// Cleaning allocates and frees many small strings per line; mimalloc serves them with
// fewer instructions than the system allocator.
#[global_allocator]
static GLOBAL: boilerstrip::alloc::Mimalloc = boilerstrip::alloc::Mimalloc;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match run::run(args) {
        Ok(run::Outcome::AllOk) => ExitCode::SUCCESS,
        Ok(run::Outcome::SomeFailed) => ExitCode::from(1),
        Err(err) => {
            // A closed pipe (`boilerstrip clean x | head`) is not an error.
            if err.chain().any(|e| {
                e.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            eprintln!("boilerstrip: {err:#}");
            ExitCode::from(2)
        }
    }
}
