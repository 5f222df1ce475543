//! A support action's staff page: the action with its count, what came of
//! it (paper batches, delivery, response) and what this staff member may do
//! there.
use super::actions::SupportActionRecord;
use crate::backoffice::forms::FormFlash;
use crate::backoffice::StaffUser;
use crate::error::AppError;
use crate::i18n::Locale;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportActionWorkspace {
    pub user: StaffUser,
    pub action: SupportActionRecord,
    pub person_name: String,
    pub confirmed: i64,
    /// Whether this user may change it and record what came of it.
    pub can_edit: bool,
    /// The languages the person's municipalities require.
    pub required_languages: Vec<Locale>,
    /// Once its signatures were handed over.
    pub delivery: Option<crate::campaigns::deliveries::DeliveryRecord>,
    /// Whether this user may undo the delivery (an administrator, within
    /// days, before any response).
    pub may_undo_delivery: bool,
    /// The addressee's response, once recorded.
    pub response: Option<crate::campaigns::responses::ResponseRecord>,
    /// Signatures collected on paper, by the batch, latest first.
    pub paper_batches: Vec<crate::campaigns::paper::PaperBatchRecord>,
    pub flash: Option<FormFlash>,
}

#[server(prefix = "/api/staff", endpoint = "support-action")]
pub async fn staff_support_action(
    slug: String,
) -> Result<Option<SupportActionWorkspace>, AppError> {
    let user = require(Permission::ReadActions).await?;
    let db = crate::server::context::db()?;
    let Some(mut page) = on_server::workspace(&db, &user, &slug).await? else {
        return Ok(None);
    };
    page.flash = crate::backoffice::forms::on_server::take_form_flash().await;
    Ok(Some(page))
}

#[cfg(feature = "ssr")]
use {crate::backoffice::session::on_server::require, crate::domain::Permission};

#[cfg(feature = "ssr")]
pub mod on_server {
    use super::*;
    use crate::campaigns::actions::on_server::ActionStore;
    use crate::on_pool;
    use crate::records::owners::action_of;
    use crate::server::db::Db;

    /// The action's staff page: its record, count, and whether this user may change it.
    pub async fn workspace(
        db: &Db,
        user: &StaffUser,
        slug: &str,
    ) -> Result<Option<SupportActionWorkspace>, AppError> {
        let Some(found) = action_of(db, user.acting(), slug).await? else {
            return Ok(None);
        };
        let id = found.action_id;
        let action = on_pool!(db, |pool| pool.acquire().await?.action_record(id).await)?
            .ok_or_else(|| crate::error::internal("support action vanished"))?;
        let (person_name, confirmed): (String, i64) =
            on_pool!(db, |pool| sqlx::query_as(concat!(
                "SELECT p.full_name, ",
                crate::confirmed_count!(),
                " FROM support_actions a JOIN persons p ON p.id = a.person_id WHERE a.id = $1"
            ))
            .bind(id)
            .fetch_one(pool)
            .await)?;
        Ok(Some(SupportActionWorkspace {
            user: user.clone(),
            person_name,
            required_languages: crate::records::translations::required_languages(
                db,
                &action.person,
            )
            .await?,
            action,
            confirmed,
            delivery: crate::campaigns::deliveries::on_server::delivery_record(db, id).await?,
            may_undo_delivery: Permission::UndoDeliveries.allows(user.role)
                && crate::campaigns::deliveries::on_server::undoable(
                    db,
                    id,
                    crate::server::clock::now(),
                )
                .await?,
            paper_batches: crate::campaigns::paper::on_server::batches(db, id).await?,
            response: crate::campaigns::responses::on_server::response_record(db, id).await?,
            can_edit: found.may_act,
            flash: None,
        }))
    }
}
