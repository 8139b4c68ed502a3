//! Statistics over samples, the targets of issue 7, and the table the bench prints (Markdown, so that it can go
//! into BENCHMARKS.md as it is).

use std::time::Duration;

/// The value at quantile `q` (0..=1) of samples, nearest rank.
pub fn quantile(samples: &[Duration], q: f64) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// The median of `values`.
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    }
}

/// Microseconds, for latency rows.
pub fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// What a figure must reach.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    /// At least this fraction of the bare PTY's figure.
    FractionOfBareAtLeast(f64),
    /// At most this much above the bare PTY's figure.
    AboveBareAtMost(f64),
    /// At most this multiple of the bare PTY's figure.
    TimesBareAtMost(f64),
    /// At most this.
    AtMost(f64),
    /// At least this.
    AtLeast(f64),
    /// No target: shown for context.
    None,
}

impl Target {
    fn describe(self) -> String {
        match self {
            Target::FractionOfBareAtLeast(f) => format!("≥ {:.0}% of bare", f * 100.0),
            Target::AboveBareAtMost(d) => format!("≤ bare + {d}"),
            Target::TimesBareAtMost(t) => format!("≤ {t}× bare"),
            Target::AtMost(v) => format!("≤ {v}"),
            Target::AtLeast(v) => format!("≥ {v}"),
            Target::None => String::new(),
        }
    }

    /// How `value` compares with `bare`, in the terms of this target.
    fn versus_bare(self, bare: Option<f64>, value: f64) -> String {
        let Some(bare) = bare.filter(|b| *b > 0.0) else {
            return String::new();
        };
        match self {
            Target::AboveBareAtMost(_) => format!("{:+.1} ({:.2}×)", value - bare, value / bare),
            Target::TimesBareAtMost(_) => format!("{:.2}×", value / bare),
            _ => format!("{:.1}%", value / bare * 100.0),
        }
    }

    fn met(self, bare: Option<f64>, value: f64) -> Option<bool> {
        match (self, bare) {
            (Target::FractionOfBareAtLeast(f), Some(bare)) => Some(value >= f * bare),
            (Target::AboveBareAtMost(d), Some(bare)) => Some(value - bare <= d),
            (Target::TimesBareAtMost(t), Some(bare)) => Some(value <= t * bare),
            (Target::AtMost(limit), _) => Some(value <= limit),
            (Target::AtLeast(limit), _) => Some(value >= limit),
            _ => None,
        }
    }
}

/// One line of the table.
#[derive(Debug, Clone)]
pub struct Row {
    /// What is measured, with its unit.
    pub figure: String,
    /// The bare PTY's figure, where there is one.
    pub bare: Option<f64>,
    /// webterm's figure (`None`: not measured, and why is printed after the table).
    pub webterm: Option<f64>,
    /// ttyd's figure, when a ttyd was measured.
    pub ttyd: Option<f64>,
    /// What webterm must reach.
    pub target: Target,
}

impl Row {
    /// A row with no ttyd figure yet.
    pub fn new(
        figure: impl Into<String>,
        bare: Option<f64>,
        webterm: Option<f64>,
        target: Target,
    ) -> Row {
        Row {
            figure: figure.into(),
            bare,
            webterm,
            ttyd: None,
            target,
        }
    }

    /// Whether webterm meets the target (`None`: no target, or not measured).
    pub fn met(&self) -> Option<bool> {
        self.target.met(self.bare, self.webterm?)
    }
}

fn number(value: Option<f64>) -> String {
    match value {
        None => "–".into(),
        Some(v) if v.abs() >= 100.0 => format!("{v:.0}"),
        Some(v) if v.abs() >= 10.0 => format!("{v:.1}"),
        Some(v) => format!("{v:.2}"),
    }
}

/// The table, one Markdown line per row; ttyd's columns only when `with_ttyd`.
pub fn table(rows: &[Row], with_ttyd: bool) -> String {
    let mut header = vec![
        "figure",
        "bare PTY",
        "webterm",
        "webterm vs bare",
        "target",
        "met",
    ];
    if with_ttyd {
        header.extend(["ttyd", "ttyd vs bare"]);
    }
    let mut lines = vec![header.iter().map(|s| s.to_string()).collect::<Vec<_>>()];
    for row in rows {
        let met = match row.met() {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "",
        };
        let mut cells = vec![
            row.figure.clone(),
            number(row.bare),
            number(row.webterm),
            row.webterm
                .map(|v| row.target.versus_bare(row.bare, v))
                .unwrap_or_default(),
            row.target.describe(),
            met.to_string(),
        ];
        if with_ttyd {
            cells.push(number(row.ttyd));
            cells.push(
                row.ttyd
                    .map(|v| row.target.versus_bare(row.bare, v))
                    .unwrap_or_default(),
            );
        }
        lines.push(cells);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            lines
                .iter()
                .map(|l| l[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let render = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect();
        format!("| {} |", padded.join(" | "))
    };
    let mut out = vec![render(&lines[0])];
    out.push(format!(
        "|{}|",
        widths
            .iter()
            .map(|w| "-".repeat(w + 2))
            .collect::<Vec<_>>()
            .join("|")
    ));
    out.extend(lines[1..].iter().map(|l| render(l)));
    out.join("\n")
}
