//! Calendar arithmetic on DATE values (days since 1970-01-01, proleptic Gregorian).

/// Days since 1970-01-01 of a civil date; `None` if the date does not exist.
pub fn days_from_civil(year: i32, month: u32, day: u32) -> Option<i32> {
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    // Howard Hinnant's algorithm.
    let y = if month <= 2 { year - 1 } else { year } as i64;
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for days in [-800_000, -1, 0, 1, 10_000, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), Some(days));
        }
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(format_date(parse_date("1998-12-01").unwrap()), "1998-12-01");
        assert_eq!(parse_date("1998-02-30"), None);
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
