//! The checks serde runs on single values as the file is read: numbers in their range, paths and modes in
//! their form. Their errors are toml's, so they name the file, the line and the key.

use serde::{Deserialize, Deserializer};

fn bounded<'de, D: Deserializer<'de>>(
    d: D,
    min: u64,
    max: u64,
    what: &str,
) -> Result<u64, D::Error> {
    let value = u64::deserialize(d)?;
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(serde::de::Error::custom(format!(
            "{what} must be between {min} and {max}, got {value}"
        )))
    }
}

/// The most HTTP worker threads `workers` may ask for. Each worker is an OS thread with its own event loop, and
/// all are started at once: past the number of cores they only add memory and context switches, and a slip like
/// `workers = 1000000` would try to start a million threads. 1024 is more cores than webterm is likely to meet.
pub const MAX_WORKERS: usize = 1024;

pub(super) fn worker_count<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    bounded(
        d,
        0,
        MAX_WORKERS as u64,
        "workers (0 means one per CPU core)",
    )
    .map(|v| v as usize)
}

pub(super) fn positive_seconds<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    bounded(d, 1, 86_400, "seconds")
}

pub(super) fn at_most_a_minute<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    bounded(d, 0, 60_000, "milliseconds")
}

pub(super) fn base_path<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let value = String::deserialize(d)?;
    let clean = |segment: &str| {
        !segment.is_empty()
            && segment != "."
            && segment != ".."
            && segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
    };
    if value == "/"
        || value
            .strip_prefix('/')
            .is_some_and(|rest| rest.split('/').all(clean))
    {
        Ok(value)
    } else {
        Err(serde::de::Error::custom(format!(
            "must be \"/\" or a path like \"/terminal\" (no trailing slash, letters, digits and -._~ only), got {value:?}"
        )))
    }
}

pub(super) fn file_mode<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let value = String::deserialize(d)?;
    match u32::from_str_radix(&value, 8) {
        Ok(mode) if mode <= 0o777 && value.len() <= 4 => Ok(value),
        _ => Err(serde::de::Error::custom(format!(
            "must be an octal file mode like \"0660\", got {value:?}"
        ))),
    }
}

pub(super) fn at_most_ten_minutes<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    bounded(d, 0, 600_000, "milliseconds")
}

/// The smallest `websocket.max_message_size`: the page sends input (a paste) in frames of up to 64 KiB
/// (`frontend/src/connection.ts`), which a smaller limit would refuse with 1009.
pub const MIN_MESSAGE_SIZE: u64 = 64 * 1024;

pub(super) fn message_size<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    bounded(d, MIN_MESSAGE_SIZE, 1 << 30, "bytes").map(|v| v as usize)
}

pub(super) fn non_empty_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let value = String::deserialize(d)?;
    if value.is_empty() || value.contains('\0') {
        Err(serde::de::Error::custom(
            "must be a non-empty string without NUL bytes",
        ))
    } else {
        Ok(value)
    }
}
