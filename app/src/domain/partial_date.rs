//! `PartialDate`: a date known to the year, the month or the day, because
//! sources say "in 2015", "in May 2018" or "on 28 December 2020".
use crate::i18n::Locale;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Field order matters: the derived ordering compares year, then month, then
/// day, and `None` sorts first, so "2018" < "May 2018" < "10 May 2018".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PartialDate {
    year: i32,
    month: Option<u8>,
    day: Option<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PartialDateError {
    #[error("write a date as YYYY, YYYY-MM or YYYY-MM-DD")]
    Format,
    #[error("the year must be between {min} and {max}", min = PartialDate::MIN_YEAR, max = PartialDate::MAX_YEAR)]
    Year,
    #[error("the month must be between 1 and 12")]
    Month,
    #[error("that day does not exist in that month")]
    Day,
}

impl PartialDate {
    pub const MIN_YEAR: i32 = 1900;
    pub const MAX_YEAR: i32 = 2200;

    pub fn year(year: i32) -> Result<Self, PartialDateError> {
        Self::from_parts(year, None, None)
    }

    pub fn year_month(year: i32, month: u8) -> Result<Self, PartialDateError> {
        Self::from_parts(year, Some(month), None)
    }

    pub fn ymd(year: i32, month: u8, day: u8) -> Result<Self, PartialDateError> {
        Self::from_parts(year, Some(month), Some(day))
    }

    /// The constructor behind all others; also used to read the three database columns.
    pub fn from_parts(
        year: i32,
        month: Option<u8>,
        day: Option<u8>,
    ) -> Result<Self, PartialDateError> {
        if !(Self::MIN_YEAR..=Self::MAX_YEAR).contains(&year) {
            return Err(PartialDateError::Year);
        }
        match (month, day) {
            (None, Some(_)) => return Err(PartialDateError::Format),
            (Some(m), _) if !(1..=12).contains(&m) => return Err(PartialDateError::Month),
            (Some(m), Some(d)) if d == 0 || d > days_in_month(year, m) => {
                return Err(PartialDateError::Day)
            }
            _ => {}
        }
        Ok(Self { year, month, day })
    }

    /// Parses `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub fn parse(input: &str) -> Result<Self, PartialDateError> {
        let input = input.trim();
        let mut parts = input.split('-');
        let number = |part: Option<&str>, len: usize| -> Result<Option<u32>, PartialDateError> {
            match part {
                None => Ok(None),
                Some(p) if p.len() == len && p.bytes().all(|b| b.is_ascii_digit()) => {
                    Ok(Some(p.parse().map_err(|_| PartialDateError::Format)?))
                }
                Some(_) => Err(PartialDateError::Format),
            }
        };
        let year = number(parts.next(), 4)?.ok_or(PartialDateError::Format)?;
        let month = number(parts.next(), 2)?;
        let day = number(parts.next(), 2)?;
        if parts.next().is_some() {
            return Err(PartialDateError::Format);
        }
        Self::from_parts(year as i32, month.map(|m| m as u8), day.map(|d| d as u8))
    }

    pub fn year_part(&self) -> i32 {
        self.year
    }
    pub fn month_part(&self) -> Option<u8> {
        self.month
    }
    pub fn day_part(&self) -> Option<u8> {
        self.day
    }

    /// The first calendar day the date may stand for, as (year, month, day):
    /// "2018" may be 1 January 2018.
    pub fn first_day(&self) -> (i32, u8, u8) {
        (self.year, self.month.unwrap_or(1), self.day.unwrap_or(1))
    }

    /// The last calendar day the date may stand for: "2018" may be 31 December 2018.
    pub fn last_day(&self) -> (i32, u8, u8) {
        let month = self.month.unwrap_or(12);
        let day = self.day.unwrap_or_else(|| days_in_month(self.year, month));
        (self.year, month, day)
    }

    /// The date as a reader of `locale` expects it: "May 2018", "mai 2018", "mei 2018".
    pub fn format(&self, locale: Locale) -> String {
        let Some(month) = self.month else {
            return self.year.to_string();
        };
        let name = month_name(locale, month);
        match (self.day, locale) {
            (None, _) => format!("{name} {}", self.year),
            (Some(1), Locale::Fr) => format!("1er {name} {}", self.year),
            (Some(day), _) => format!("{day} {name} {}", self.year),
        }
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn month_name(locale: Locale, month: u8) -> &'static str {
    const EN: [&str; 12] = [
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
    const FR: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    const NL: [&str; 12] = [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ];
    let names = match locale {
        Locale::En => &EN,
        Locale::Fr => &FR,
        Locale::Nl => &NL,
    };
    names[usize::from(month - 1)]
}

/// ISO form, the inverse of `parse`: `2015`, `2018-05`, `2020-12-28`.
impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.year)?;
        if let Some(m) = self.month {
            write!(f, "-{m:02}")?;
        }
        if let Some(d) = self.day {
            write!(f, "-{d:02}")?;
        }
        Ok(())
    }
}

impl TryFrom<String> for PartialDate {
    type Error = PartialDateError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<PartialDate> for String {
    fn from(date: PartialDate) -> Self {
        date.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_per_language() {
        let year = PartialDate::parse("2015").unwrap();
        let month = PartialDate::parse("2018-05").unwrap();
        let day = PartialDate::parse("2020-12-28").unwrap();
        assert_eq!(year.format(Locale::Fr), "2015");
        assert_eq!(month.format(Locale::En), "May 2018");
        assert_eq!(month.format(Locale::Fr), "mai 2018");
        assert_eq!(month.format(Locale::Nl), "mei 2018");
        assert_eq!(day.format(Locale::En), "28 December 2020");
        assert_eq!(day.format(Locale::Fr), "28 décembre 2020");
        assert_eq!(day.format(Locale::Nl), "28 december 2020");
        assert_eq!(
            PartialDate::ymd(2021, 1, 1).unwrap().format(Locale::Fr),
            "1er janvier 2021"
        );
    }

    #[test]
    fn rejects_impossible_or_malformed_dates() {
        assert_eq!(PartialDate::parse("2021-02-29"), Err(PartialDateError::Day));
        assert!(PartialDate::parse("2020-02-29").is_ok());
        assert_eq!(PartialDate::parse("1900-02-29"), Err(PartialDateError::Day));
        assert_eq!(
            PartialDate::parse("2000-02-29").map(|d| d.to_string()),
            Ok("2000-02-29".into())
        );
        assert_eq!(PartialDate::parse("2018-13"), Err(PartialDateError::Month));
        assert_eq!(PartialDate::parse("2018-00"), Err(PartialDateError::Month));
        assert_eq!(PartialDate::parse("1850"), Err(PartialDateError::Year));
        for bad in [
            "",
            "18",
            "2018-5",
            "2018/05",
            "2018-05-",
            "2018-05-01-02",
            "+2018",
            "２０１８",
            "May 2018",
        ] {
            assert_eq!(
                PartialDate::parse(bad),
                Err(PartialDateError::Format),
                "{bad:?}"
            );
        }
        assert_eq!(
            PartialDate::from_parts(2018, None, Some(3)),
            Err(PartialDateError::Format)
        );
    }

    #[test]
    fn a_coarser_date_spans_every_day_in_it() {
        let year = PartialDate::year(2024).unwrap();
        assert_eq!(
            (year.first_day(), year.last_day()),
            ((2024, 1, 1), (2024, 12, 31))
        );
        let february = PartialDate::year_month(2024, 2).unwrap();
        assert_eq!(february.last_day(), (2024, 2, 29));
        let day = PartialDate::ymd(2022, 12, 5).unwrap();
        assert_eq!(day.first_day(), day.last_day());
    }

    #[test]
    fn a_coarser_date_sorts_before_finer_dates_in_it() {
        let mut dates: Vec<PartialDate> = [
            "2021-02-10",
            "2014",
            "2020-12-28",
            "2018-05",
            "2018",
            "2018-05-01",
        ]
        .iter()
        .map(|s| PartialDate::parse(s).unwrap())
        .collect();
        dates.sort();
        let iso: Vec<String> = dates.iter().map(ToString::to_string).collect();
        assert_eq!(
            iso,
            [
                "2014",
                "2018",
                "2018-05",
                "2018-05-01",
                "2020-12-28",
                "2021-02-10"
            ]
        );
    }

    fn any_date() -> impl Strategy<Value = PartialDate> {
        (
            PartialDate::MIN_YEAR..=PartialDate::MAX_YEAR,
            prop::option::of(1u8..=12),
            prop::option::of(1u8..=31),
        )
            .prop_filter_map("valid date", |(y, m, d)| {
                PartialDate::from_parts(y, m, m.and(d)).ok()
            })
    }

    proptest! {
        #[test]
        fn display_then_parse_round_trips(date in any_date()) {
            prop_assert_eq!(PartialDate::parse(&date.to_string()), Ok(date));
        }

        /// The ISO text sorts the same way as the dates themselves, so the order
        /// users see never depends on where the sorting happened.
        #[test]
        fn ordering_matches_iso_text_order(a in any_date(), b in any_date()) {
            prop_assert_eq!(a.cmp(&b), a.to_string().cmp(&b.to_string()));
        }

        #[test]
        fn ordering_is_year_then_month_then_day(a in any_date(), b in any_date()) {
            let key = |d: &PartialDate| (d.year_part(), d.month_part().unwrap_or(0), d.day_part().unwrap_or(0));
            prop_assert_eq!(a.cmp(&b), key(&a).cmp(&key(&b)));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,16}") {
            let _ = PartialDate::parse(&s);
        }
    }
}
