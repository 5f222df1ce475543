//! The home page's reading: what a visitor can sign now, the persons, the
//! latest updates.
use super::actions::ActionCard;
use super::{PersonSummary, StatusEventView};
use crate::error::AppError;
use crate::i18n::Locale;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HomeOverview {
    /// The actions taking signatures now: what a visitor came to do.
    pub open_actions: Vec<ActionCard>,
    pub persons: Vec<PersonSummary>,
    pub latest_events: Vec<StatusEventView>,
}

#[server]
pub async fn home_data(lang: Locale) -> Result<HomeOverview, AppError> {
    use super::actions::{self, ActionFilter};
    use super::persons::{self, PersonFilter};
    use crate::domain::ActionState;
    let db = crate::server::context::db()?;
    let open = ActionFilter {
        state: Some(ActionState::Open),
        ..Default::default()
    };
    Ok(HomeOverview {
        open_actions: actions::on_server::cards(&db, &open, lang).await?,
        persons: persons::on_server::list(&db, &PersonFilter::default(), lang).await?,
        latest_events: persons::on_server::latest_events(&db, lang).await?,
    })
}
