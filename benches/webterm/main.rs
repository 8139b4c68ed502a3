//! `cargo bench --bench webterm`: webterm against the bare PTY limit (and ttyd, when there is one), in one run
//! on one machine, every figure next to its target from issue 7. See BENCHMARKS.md for the figures and how to
//! read them.
//!
//! Options (after `--`): `--quick` for a smoke run of a few seconds; `--only throughput,echo,flow,sessions,churn,
//! binary` for some sections. `TTYD=/path/to/ttyd` (or a `ttyd` on PATH) adds ttyd's figures; `WEBTERM_BIN=/path`
//! measures another webterm build than the one cargo just built (to compare before and after a change).
//!
//! A bench target rather than a `src/bin` binary: cargo builds the release `webterm` binary first and hands its
//! path over (`CARGO_BIN_EXE_webterm`), and the WebSocket client (a dev-dependency) never reaches the shipped
//! binary. Everything runs on loopback, bounded in bytes, count and time.

mod bare;
mod client;
mod measure;
mod report;
mod server;
mod sessions;
mod system;
mod workloads;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use measure::Sizes;
use report::Row;
use server::{Contender, Flavor};
use system::Machine;

const SECTIONS: [&str; 6] = ["throughput", "echo", "flow", "sessions", "churn", "binary"];

/// Open files the run may need: about five per session in the server, one per client here.
const FD_LIMIT: u64 = 65_536;

struct Options {
    sizes: Sizes,
    quick: bool,
    sections: Vec<String>,
}

impl Options {
    fn parse(args: &[String]) -> Result<Options> {
        let mut options = Options {
            sizes: Sizes::FULL,
            quick: false,
            sections: SECTIONS.map(String::from).to_vec(),
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--bench" => {}
                "--quick" => {
                    options.sizes = Sizes::QUICK;
                    options.quick = true;
                }
                "--only" => {
                    let list = args.next().context("--only needs a list of sections")?;
                    options.sections = list.split(',').map(String::from).collect();
                    if let Some(unknown) = options
                        .sections
                        .iter()
                        .find(|s| !SECTIONS.contains(&s.as_str()))
                    {
                        bail!(
                            "unknown section {unknown:?}; the sections are {}",
                            SECTIONS.join(",")
                        );
                    }
                }
                other => bail!(
                    "unknown option {other:?}; try --quick or --only {}",
                    SECTIONS.join(",")
                ),
            }
        }
        Ok(options)
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo test --benches` runs this without `--bench`: a check that it builds is all that is wanted then.
    if !args.iter().any(|a| a == "--bench") {
        println!("webterm bench: run it with `cargo bench --bench webterm`");
        return ExitCode::SUCCESS;
    }
    match Options::parse(&args).and_then(run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("webterm bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn contenders() -> Result<Vec<Contender>> {
    let log_dir = std::env::temp_dir().join(format!("webterm-bench-{}", std::process::id()));
    std::fs::create_dir_all(&log_dir)?;
    // `WEBTERM_BIN` measures another build, e.g. before and after a change.
    let webterm = std::env::var_os("WEBTERM_BIN").filter(|p| !p.is_empty());
    let mut contenders = vec![Contender {
        flavor: Flavor::Webterm,
        binary: webterm.map_or_else(|| env!("CARGO_BIN_EXE_webterm").into(), PathBuf::from),
        log_dir: log_dir.clone(),
    }];
    if let Some(ttyd) = find_ttyd() {
        contenders.push(Contender {
            flavor: Flavor::Ttyd,
            binary: ttyd,
            log_dir,
        });
    }
    Ok(contenders)
}

/// `TTYD`, else a `ttyd` on PATH.
fn find_ttyd() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("TTYD").filter(|p| !p.is_empty()) {
        return Some(path.into());
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join("ttyd"))
        .find(|path| path.is_file())
}

fn run(options: Options) -> Result<()> {
    let machine = Machine::read();
    let fd_limit = system::raise_fd_limit(FD_LIMIT);
    let contenders = contenders()?;
    let with_ttyd = contenders.iter().any(|c| c.flavor == Flavor::Ttyd);
    eprintln!(
        "webterm bench: {} CPUs ({}), Linux {}, {}, load {}",
        machine.cpus, machine.cpu_model, machine.kernel, machine.idle, machine.load
    );
    eprintln!("  webterm: {}", contenders[0].binary.display());
    eprintln!(
        "  ttyd: {}",
        contenders
            .get(1)
            .map_or("not found (set TTYD to measure one)".into(), |c| c
                .binary
                .display()
                .to_string())
    );
    eprintln!(
        "  open-file limit: {fd_limit}; logs: {}",
        contenders[0].log_dir.display()
    );

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut rows: Vec<Row> = Vec::new();
    for section in &options.sections {
        eprintln!("{section} ...");
        let sizes = &options.sizes;
        let section_rows = match section.as_str() {
            "throughput" => measure::throughput(&rt, &contenders, sizes),
            "echo" => measure::echo(&rt, &contenders, sizes),
            "flow" => measure::flow(&rt, &contenders, sizes),
            "sessions" => sessions::sessions(&rt, &contenders, sizes),
            "churn" => measure::churn(&rt, &contenders, sizes),
            "binary" => measure::binary(&contenders, sizes),
            _ => unreachable!("sections are checked when parsed"),
        };
        rows.extend(section_rows.with_context(|| format!("section {section}"))?);
    }

    println!();
    println!(
        "webterm bench{}: {} CPUs, {}, Linux {}, {}; load average at start {}",
        if options.quick {
            " (--quick: smaller workloads, targets not comparable)"
        } else {
            ""
        },
        machine.cpus,
        machine.cpu_model,
        machine.kernel,
        machine.idle,
        machine
            .load
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!();
    println!("{}", report::table(&rows, with_ttyd));
    let missed: Vec<&str> = rows
        .iter()
        .filter(|r| r.met() == Some(false))
        .map(|r| r.figure.as_str())
        .collect();
    println!();
    if missed.is_empty() {
        println!("every target met");
    } else {
        println!("targets missed: {}", missed.join("; "));
    }
    Ok(())
}
