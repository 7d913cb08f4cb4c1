//! Calendar arithmetic on DATE values (days since 1970-01-01, proleptic Gregorian).

/// Days since 1970-01-01 of a civil date; `None` if the date does not exist.
pub fn days_from_civil(year: i32, month: u32, day: u32) -> Option<i32> {
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    // Howard Hinnant's algorithm.
    let y = i64::from(year) - i64::from(month <= 2);
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    i32::try_from(era * 146097 + doe - 719468).ok()
}

/// Civil date (year, month, day) of a day number.
pub fn civil_from_days(days: i32) -> (i32, u32, u32) {
    let z = days as i64 + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    ((if m <= 2 { y + 1 } else { y }) as i32, m, d)
}

pub fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Parses `YYYY-MM-DD` (leading/trailing spaces allowed).
pub fn parse_date(text: &str) -> Option<i32> {
    let mut parts = text.trim().splitn(3, '-');
    let y: i32 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    days_from_civil(y, m, d)
}

/// Formats as ISO `YYYY-MM-DD`.
pub fn format_date(days: i32) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Adds months, clamping the day to the end of the target month (PostgreSQL semantics:
/// `date '2024-01-31' + interval '1' month = 2024-02-29`). `None` on overflow.
pub fn add_months(days: i32, months: i32) -> Option<i32> {
    let (y, m, d) = civil_from_days(days);
    let total = y as i64 * 12 + (m as i64 - 1) + months as i64;
    let ny = i32::try_from(total.div_euclid(12)).ok()?;
    let nm = (total.rem_euclid(12) + 1) as u32;
    days_from_civil(ny, nm, d.min(days_in_month(ny, nm)))
}

/// A date field for EXTRACT / date_part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DateField {
    Year,
    Quarter,
    Month,
    Day,
    /// Day of week, Sunday = 0 (PostgreSQL `dow`).
    DayOfWeek,
    /// Day of year, 1-based.
    DayOfYear,
    /// ISO 8601 week number (1-53; week 1 holds the year's first Thursday).
    Week,
    /// ISO day of week, Monday = 1 ... Sunday = 7 (PostgreSQL `isodow`).
    IsoDayOfWeek,
    /// ISO 8601 week-numbering year (PostgreSQL `isoyear`).
    IsoYear,
    /// Seconds since 1970-01-01 (PostgreSQL `epoch` of a date: its midnight).
    Epoch,
}

/// (ISO year, ISO week) of a date.
fn iso_week(days: i32) -> (i32, i64) {
    // The Thursday of the date's week decides its ISO year.
    let iso_dow = (i64::from(days) + 3).rem_euclid(7); // Monday = 0
    let thursday = i64::from(days) - iso_dow + 3;
    let thursday = i32::try_from(thursday).unwrap_or(days);
    let (year, _, _) = civil_from_days(thursday);
    let jan1 = days_from_civil(year, 1, 1).unwrap_or(thursday);
    (year, i64::from(thursday - jan1) / 7 + 1)
}

pub fn extract(days: i32, field: DateField) -> i64 {
    let (y, m, d) = civil_from_days(days);
    match field {
        DateField::Year => y as i64,
        DateField::Quarter => ((m - 1) / 3 + 1) as i64,
        DateField::Month => m as i64,
        DateField::Day => d as i64,
        DateField::DayOfWeek => (days as i64 + 4).rem_euclid(7),
        DateField::DayOfYear => (days - days_from_civil(y, 1, 1).unwrap_or(days)) as i64 + 1,
        DateField::Week => iso_week(days).1,
        DateField::IsoYear => i64::from(iso_week(days).0),
        DateField::IsoDayOfWeek => (i64::from(days) + 3).rem_euclid(7) + 1,
        DateField::Epoch => i64::from(days) * 86_400,
    }
}

/// The unit `date_diff` counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DiffUnit {
    Day,
    /// ISO weeks (starting on Monday).
    Week,
    Month,
    Quarter,
    Year,
}

impl DiffUnit {
    pub fn name(self) -> &'static str {
        match self {
            DiffUnit::Day => "day",
            DiffUnit::Week => "week",
            DiffUnit::Month => "month",
            DiffUnit::Quarter => "quarter",
            DiffUnit::Year => "year",
        }
    }

    /// The unit a `date_diff` names (singular or plural, any case); `None` if unknown.
    pub fn parse(name: &str) -> Option<DiffUnit> {
        Some(match name.to_ascii_lowercase().trim_end_matches('s') {
            "day" | "d" => DiffUnit::Day,
            "week" | "w" => DiffUnit::Week,
            "month" | "mon" => DiffUnit::Month,
            "quarter" => DiffUnit::Quarter,
            "year" | "y" | "yr" => DiffUnit::Year,
            _ => return None,
        })
    }
}

/// `date_diff(unit, start, end)` (DuckDB): how many unit boundaries lie between the two
/// dates, negative if `end` is before `start` (days: `end - start`).
pub fn date_diff(unit: DiffUnit, start: i32, end: i32) -> i64 {
    let (a, b) = (i64::from(start), i64::from(end));
    let months = |d: i32| {
        let (y, m, _) = civil_from_days(d);
        i64::from(y) * 12 + i64::from(m) - 1
    };
    match unit {
        DiffUnit::Day => b - a,
        // 1970-01-01 was a Thursday: Monday-based week numbers are floor((days + 3) / 7).
        DiffUnit::Week => (b + 3).div_euclid(7) - (a + 3).div_euclid(7),
        DiffUnit::Month => months(end) - months(start),
        DiffUnit::Quarter => months(end).div_euclid(3) - months(start).div_euclid(3),
        DiffUnit::Year => i64::from(civil_from_days(end).0) - i64::from(civil_from_days(start).0),
    }
}

/// The last day of the date's month.
pub fn last_day(days: i32) -> i32 {
    let (y, m, d) = civil_from_days(days);
    days + (days_in_month(y, m) - d) as i32
}

const DAY_NAMES: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The English name of the date's weekday.
pub fn day_name(days: i32) -> &'static str {
    DAY_NAMES[extract(days, DateField::DayOfWeek) as usize]
}

/// The English name of the date's month.
pub fn month_name(days: i32) -> &'static str {
    MONTH_NAMES[civil_from_days(days).1 as usize - 1]
}

/// `strftime(date, format)` (C / DuckDB specifiers): `%Y` year, `%y` two-digit year, `%m`
/// month, `%d` day, `%e` day padded with a space, `%j` day of year, `%B` / `%b` month name
/// (full / three letters), `%A` / `%a` weekday name, `%u` ISO weekday (Monday 1), `%w`
/// weekday (Sunday 0), `%F` = `%Y-%m-%d`, `%%` a percent sign. Time specifiers (`%H`, ...)
/// read midnight. Anything else is an error naming the specifier.
pub fn strftime(days: i32, format: &str, out: &mut String) -> Result<(), String> {
    use std::fmt::Write;
    let (y, m, d) = civil_from_days(days);
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let dow = extract(days, DateField::DayOfWeek);
        let _ = match chars.next() {
            Some('Y') => write!(out, "{y}"),
            Some('y') => write!(out, "{:02}", y.rem_euclid(100)),
            Some('m') => write!(out, "{m:02}"),
            Some('d') => write!(out, "{d:02}"),
            Some('e') => write!(out, "{d:2}"),
            Some('j') => write!(out, "{:03}", extract(days, DateField::DayOfYear)),
            Some('B') => write!(out, "{}", month_name(days)),
            Some('b') => write!(out, "{}", &month_name(days)[..3]),
            Some('A') => write!(out, "{}", day_name(days)),
            Some('a') => write!(out, "{}", &day_name(days)[..3]),
            Some('u') => write!(out, "{}", if dow == 0 { 7 } else { dow }),
            Some('w') => write!(out, "{dow}"),
            Some('F') => write!(out, "{y:04}-{m:02}-{d:02}"),
            Some('H' | 'M' | 'S' | 'I') => write!(out, "00"),
            Some('%') => write!(out, "%"),
            Some(other) => return Err(format!("strftime: unknown format specifier \"%{other}\"")),
            None => return Err("strftime: the format ends with a lone \"%\"".into()),
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diffs_names_and_formats() {
        let d = |s: &str| parse_date(s).unwrap();
        let diff = |u, a: &str, b: &str| date_diff(u, d(a), d(b));
        assert_eq!(diff(DiffUnit::Day, "2024-01-01", "2024-03-01"), 60);
        assert_eq!(diff(DiffUnit::Month, "2024-01-31", "2024-02-01"), 1);
        assert_eq!(diff(DiffUnit::Month, "2024-02-01", "2024-01-31"), -1);
        assert_eq!(diff(DiffUnit::Year, "2023-12-31", "2024-01-01"), 1);
        assert_eq!(diff(DiffUnit::Quarter, "2024-03-31", "2024-04-01"), 1);
        // 2024-01-07 is a Sunday, 2024-01-08 a Monday.
        assert_eq!(diff(DiffUnit::Week, "2024-01-07", "2024-01-08"), 1);
        assert_eq!(diff(DiffUnit::Week, "2024-01-01", "2024-01-07"), 0);
        assert_eq!(diff(DiffUnit::Week, "1969-12-28", "1969-12-29"), 1);
        assert_eq!(format_date(last_day(d("2024-02-10"))), "2024-02-29");
        assert_eq!(day_name(d("2024-01-08")), "Monday");
        assert_eq!(month_name(d("2024-12-01")), "December");
        let mut s = String::new();
        strftime(
            d("2024-03-05"),
            "%A %d %B %Y (%j, %a %b %y, %u/%w) %%",
            &mut s,
        )
        .unwrap();
        assert_eq!(s, "Tuesday 05 March 2024 (065, Tue Mar 24, 2/2) %");
        assert!(strftime(0, "%Q", &mut String::new()).is_err());
        // ISO weeks: 2021-01-03 (a Sunday) is in week 53 of 2020; 2024-12-30 in week 1 of 2025.
        assert_eq!(extract(d("2021-01-03"), DateField::Week), 53);
        assert_eq!(extract(d("2021-01-03"), DateField::IsoYear), 2020);
        assert_eq!(extract(d("2021-01-04"), DateField::Week), 1);
        assert_eq!(extract(d("2024-12-30"), DateField::Week), 1);
        assert_eq!(extract(d("2024-12-30"), DateField::IsoYear), 2025);
        assert_eq!(extract(d("2024-01-08"), DateField::IsoDayOfWeek), 1);
        assert_eq!(extract(d("2024-01-07"), DateField::IsoDayOfWeek), 7);
        assert_eq!(extract(d("1970-01-02"), DateField::Epoch), 86_400);
    }

    #[test]
    fn round_trips() {
        for days in [-800_000, -1, 0, 1, 10_000, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), Some(days));
        }
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(format_date(parse_date("1998-12-01").unwrap()), "1998-12-01");
        assert_eq!(parse_date("1998-02-30"), None);
        // Years past the DATE range are None, not an overflow.
        assert_eq!(days_from_civil(i32::MIN, 1, 1), None);
        assert_eq!(days_from_civil(i32::MAX, 12, 31), None);
    }

    #[test]
    fn month_arithmetic_clamps() {
        let jan31 = parse_date("2024-01-31").unwrap();
        assert_eq!(format_date(add_months(jan31, 1).unwrap()), "2024-02-29");
        assert_eq!(format_date(add_months(jan31, -13).unwrap()), "2022-12-31");
    }

    #[test]
    fn fields() {
        let d = parse_date("1995-03-15").unwrap();
        assert_eq!(extract(d, DateField::Year), 1995);
        assert_eq!(extract(d, DateField::Quarter), 1);
        assert_eq!(extract(d, DateField::DayOfWeek), 3); // a Wednesday
        assert_eq!(extract(d, DateField::DayOfYear), 74);
    }
}
