//! `Availability`: whether a support action takes signatures on a day, and
//! if not, why not. One definition, for the action page, signing and staff.
use super::PartialDate;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Availability {
    Open,
    NotYetOpen,
    DeadlinePassed,
    ClosedByOrganisers,
    /// Its signatures were handed to the addressee: closed for good.
    Delivered,
}

impl Availability {
    /// Delivered wins, then closed by hand; otherwise the dates decide.
    /// Both ends are inclusive.
    pub fn on(
        is_open: bool,
        delivered: bool,
        opens_on: PartialDate,
        closes_on: Option<PartialDate>,
        today: PartialDate,
    ) -> Self {
        if delivered {
            Availability::Delivered
        } else if !is_open {
            Availability::ClosedByOrganisers
        } else if today < opens_on {
            Availability::NotYetOpen
        } else if closes_on.is_some_and(|closes| today > closes) {
            Availability::DeadlinePassed
        } else {
            Availability::Open
        }
    }

    /// Language-free name, for markup and tests.
    pub fn slug(self) -> &'static str {
        match self {
            Availability::Open => "open",
            Availability::NotYetOpen => "not-yet-open",
            Availability::DeadlinePassed => "deadline-passed",
            Availability::ClosedByOrganisers => "closed",
            Availability::Delivered => "delivered",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Availability::Open => "action.open",
            Availability::NotYetOpen => "action.not_yet_open",
            Availability::DeadlinePassed => "action.deadline_passed",
            Availability::ClosedByOrganisers => "action.closed_by_organisers",
            Availability::Delivered => "action.delivered",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> PartialDate {
        PartialDate::parse(s).unwrap()
    }

    #[test]
    fn availability_follows_the_dates_and_the_organisers() {
        let opens = d("2026-11-01");
        let closes = Some(d("2026-11-30"));
        assert_eq!(
            Availability::on(true, false, opens, closes, d("2026-10-31")),
            Availability::NotYetOpen
        );
        assert_eq!(
            Availability::on(true, false, opens, closes, d("2026-11-01")),
            Availability::Open
        );
        assert_eq!(
            Availability::on(true, false, opens, closes, d("2026-11-30")),
            Availability::Open
        );
        assert_eq!(
            Availability::on(true, false, opens, closes, d("2026-12-01")),
            Availability::DeadlinePassed
        );
        assert_eq!(
            Availability::on(true, false, opens, None, d("2030-01-01")),
            Availability::Open
        );
        assert_eq!(
            Availability::on(false, false, opens, closes, d("2026-11-15")),
            Availability::ClosedByOrganisers
        );
        assert_eq!(
            Availability::on(false, true, opens, closes, d("2026-11-15")),
            Availability::Delivered,
            "a delivered action says so, however else it is closed"
        );
        assert_eq!(
            Availability::on(true, true, opens, None, d("2026-11-15")),
            Availability::Delivered
        );
    }
}
