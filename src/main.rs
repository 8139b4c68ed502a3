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
        // SIGHUP reads the configuration again the way it was read now: file, environment, then flags.
        let server =
            Server::bind(config)?.reload_on_hangup(std::sync::Arc::new(move || Config::load(&cli)));
        let url = server.url();
        // Listening, with SIGHUP caught, before the line that tells so.
        let running = server.run()?;
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "listening on {url}")?;
        stdout.flush()?;
        drop(stdout);
        running.await?;
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
