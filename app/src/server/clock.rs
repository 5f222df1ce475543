//! The time, read in one place: Unix seconds for what is recorded, and
//! today's date for what depends on the calendar (whether a support action
//! takes signatures).
use crate::domain::{Availability, PartialDate};
use chrono::{Datelike, NaiveDate};

/// Unix seconds.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Today (UTC) as a full date.
pub fn today() -> PartialDate {
    date(today_date())
}

/// Today (UTC) as a calendar date, as stored.
pub fn today_date() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// A stored calendar date as a full `PartialDate`.
pub fn date(day: NaiveDate) -> PartialDate {
    let fallback = || PartialDate::year(PartialDate::MIN_YEAR).expect("minimum year is valid");
    PartialDate::ymd(day.year(), day.month() as u8, day.day() as u8).unwrap_or_else(|_| fallback())
}

/// Whether a support action, as stored, takes signatures today.
pub fn availability_today(
    is_open: bool,
    delivered: bool,
    opens_on: NaiveDate,
    closes_on: Option<NaiveDate>,
) -> Availability {
    Availability::on(
        is_open,
        delivered,
        date(opens_on),
        closes_on.map(date),
        today(),
    )
}
