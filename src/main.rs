//! The `webterm` binary: parse the command line, load the config, start the server, map errors to exit codes.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use webterm::cli::{Action, Cli};
use webterm::{config::Config, password_prompt, server::Server, telemetry};

fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(cli.log_format);
    let result = match cli.action {
        Some(Action::HashPassword) => hash_password(),
        Some(Action::Check { config }) => check(&config),
        None => run(cli),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("webterm: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(&cli)?;
    actix_web::rt::System::new().block_on(async move {
        let server = Server::bind(config)?;
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "listening on {}", server.url())?;
        stdout.flush()?;
        drop(stdout);
        server.run()?.await?;
        Ok(())
    })
}

fn check(path: &std::path::Path) -> anyhow::Result<()> {
    let config = Config::from_file(path)?;
    println!(
        "# {}: valid. The effective configuration, secrets redacted:",
        path.display()
    );
    print!("{}", config.to_redacted_toml());
    Ok(())
}

fn hash_password() -> anyhow::Result<()> {
    let password = password_prompt::read_password()?;
    let hash = webterm::auth::basic::hash_password(&password)?;
    println!("{hash}");
    Ok(())
}
