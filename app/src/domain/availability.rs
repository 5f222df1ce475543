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

/// What a visitor can still do about an action, as the list of actions
/// groups and filters them: sign it, wait for it, or read how it ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActionState {
    Open,
    Upcoming,
    /// Past its deadline or ended by its organisers, not delivered.
    Closed,
    Delivered,
}

/// A state name that is none of [`ActionState::ALL`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownActionState;

impl ActionState {
    /// In the order the list shows them.
    pub const ALL: [ActionState; 4] = [
        ActionState::Open,
        ActionState::Upcoming,
        ActionState::Closed,
        ActionState::Delivered,
    ];

    pub fn of(availability: Availability) -> Self {
        match availability {
            Availability::Open => ActionState::Open,
            Availability::NotYetOpen => ActionState::Upcoming,
            Availability::DeadlinePassed | Availability::ClosedByOrganisers => ActionState::Closed,
            Availability::Delivered => ActionState::Delivered,
        }
    }

    /// As the list's address writes it (`?state=open`).
    pub fn slug(self) -> &'static str {
        match self {
            ActionState::Open => "open",
            ActionState::Upcoming => "upcoming",
            ActionState::Closed => "closed",
            ActionState::Delivered => "delivered",
        }
    }

    pub fn parse(input: &str) -> Result<Self, UnknownActionState> {
        Self::ALL
            .into_iter()
            .find(|s| s.slug() == input)
            .ok_or(UnknownActionState)
    }

    /// The interface-string key of the state's name in the filter.
    pub fn label_key(self) -> &'static str {
        match self {
            ActionState::Open => "actions.state_open",
            ActionState::Upcoming => "actions.state_upcoming",
            ActionState::Closed => "actions.state_closed",
            ActionState::Delivered => "actions.state_delivered",
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

    #[test]
    fn every_availability_falls_in_one_listed_state_and_states_round_trip() {
        use Availability::*;
        assert_eq!(ActionState::of(Open), ActionState::Open);
        assert_eq!(ActionState::of(NotYetOpen), ActionState::Upcoming);
        assert_eq!(ActionState::of(DeadlinePassed), ActionState::Closed);
        assert_eq!(ActionState::of(ClosedByOrganisers), ActionState::Closed);
        assert_eq!(ActionState::of(Delivered), ActionState::Delivered);
        for state in ActionState::ALL {
            assert_eq!(ActionState::parse(state.slug()), Ok(state));
        }
        assert_eq!(ActionState::parse("Open"), Err(UnknownActionState));
    }
}
