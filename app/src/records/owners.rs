//! Who may act on a case record: the one answer every feature asks for.
//!
//! - A person's case is changed by a council member whose municipality
//!   adopted the person, while the adoption lasts ([`case_to_change`]).
//! - A support action belongs to the municipality that opened it: only its
//!   council members, or an administrator, change it, close it or read its
//!   signers ([`action_to_run`]).
//!   What came of it (its delivery, the addressee's response) is recorded
//!   by the same people.
//! - When an action reaches its threshold, those who answer for it are told:
//!   its municipality's council members, else the administrators
//!   ([`AnsweringFor`]).
//!
//! The municipality always comes from the session, never from a form. What
//! a role may do at all is `domain::Permission`; this is which records.
use crate::domain::Role;
use crate::error::AppError;
use crate::on_pool;
use crate::server::db::Db;

/// Whether the adoption `$a` (a table alias) lasts: not ended. Only a
/// lasting adoption holds the case: it lets its council edit the case, names
/// the municipality among those that adopted the person, and keeps another
/// city from adopting the case without an administrator. An ended one stays
/// on record as history ("adopted from … to …").
#[macro_export]
macro_rules! adoption_lasts {
    ($a:literal) => {
        concat!("(", $a, ".ended_year IS NULL)")
    };
}

/// Who is acting: a staff member's role and, for a council member, the slug
/// of their municipality, both as the session has them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Acting<'a> {
    pub role: Role,
    pub municipality: Option<&'a str>,
}

/// A case as one council member may touch it.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    pub person_id: i64,
    /// The council member's municipality.
    pub municipality_id: i64,
    /// Whether that municipality holds the person's case (its adoption
    /// lasts): the one condition for changing the case or opening an action
    /// for the person.
    pub may_act: bool,
}

/// A support action as one staff member may touch it.
#[derive(Debug, Clone, Copy)]
pub struct ActionOf {
    pub action_id: i64,
    pub person_id: i64,
    /// Its municipality's council member, or an administrator.
    pub may_act: bool,
}

/// The council member's municipality; council members always have one.
pub async fn council_municipality(db: &Db, acting: Acting<'_>) -> Result<i64, AppError> {
    let slug = acting
        .municipality
        .ok_or_else(|| AppError::forbidden("only council members adopt cases"))?;
    let id: Option<i64> = on_pool!(db, |pool| sqlx::query_scalar(
        "SELECT id FROM municipalities WHERE slug = $1"
    )
    .bind(slug)
    .fetch_optional(pool)
    .await)?;
    id.ok_or_else(|| crate::error::internal("a council member's municipality is gone"))
}

/// The case of the person `slug` for this council member; `None`: no such person.
pub async fn case_of_person(
    db: &Db,
    acting: Acting<'_>,
    slug: &str,
) -> Result<Option<Case>, AppError> {
    let municipality_id = council_municipality(db, acting).await?;
    let person_id: Option<i64> = on_pool!(db, |pool| sqlx::query_scalar(
        "SELECT id FROM persons WHERE slug = $1"
    )
    .bind(slug)
    .fetch_optional(pool)
    .await)?;
    let Some(person_id) = person_id else {
        return Ok(None);
    };
    let adoptions: i64 = on_pool!(db, |pool| sqlx::query_scalar(concat!(
        "SELECT COUNT(*) FROM adoptions a WHERE a.person_id = $1 AND a.municipality_id = $2 AND ",
        crate::adoption_lasts!("a")
    ))
    .bind(person_id)
    .bind(municipality_id)
    .fetch_one(pool)
    .await)?;
    Ok(Some(Case {
        person_id,
        municipality_id,
        may_act: adoptions > 0,
    }))
}

/// The case of the person `slug`, if this council member may change it:
/// `404` when there is no such person, `403` when their municipality did
/// not adopt them or its adoption ended.
pub async fn case_to_change(db: &Db, acting: Acting<'_>, slug: &str) -> Result<Case, AppError> {
    let case = case_of_person(db, acting, slug)
        .await?
        .ok_or_else(|| AppError::not_found("person"))?;
    if case.may_act {
        Ok(case)
    } else {
        Err(AppError::forbidden(
            "your municipality has not adopted this person, or its adoption ended",
        ))
    }
}

/// The support action `slug` and what `acting` may do with it; `None`: no such action.
pub async fn action_of(
    db: &Db,
    acting: Acting<'_>,
    slug: &str,
) -> Result<Option<ActionOf>, sqlx::Error> {
    let row: Option<(i64, i64, Option<String>)> = on_pool!(db, |pool| sqlx::query_as(
        "SELECT a.id, a.person_id, m.slug FROM support_actions a
           LEFT JOIN municipalities m ON m.id = a.municipality_id WHERE a.slug = $1"
    )
    .bind(slug)
    .fetch_optional(pool)
    .await)?;
    Ok(row.map(|(action_id, person_id, owner)| ActionOf {
        action_id,
        person_id,
        may_act: may_run(acting, owner.as_deref()),
    }))
}

/// Whether `acting` runs an action opened by the municipality `owner`.
fn may_run(acting: Acting<'_>, owner: Option<&str>) -> bool {
    acting.role == Role::Admin || (owner.is_some() && owner == acting.municipality)
}

/// The support action `slug`, if `acting` may change it, close it, read
/// its signers or record what came of it: `404` when there is none, `403` when another municipality runs it.
pub async fn action_to_run(db: &Db, acting: Acting<'_>, slug: &str) -> Result<ActionOf, AppError> {
    let action = action_of(db, acting, slug)
        .await?
        .ok_or_else(|| AppError::not_found("support action"))?;
    if action.may_act {
        Ok(action)
    } else {
        Err(another_municipality())
    }
}

fn another_municipality() -> AppError {
    AppError::forbidden("another municipality runs this support action")
}

/// Those who answer for the support actions of a municipality, on a
/// connection inside the caller's transaction.
pub trait AnsweringFor {
    /// The addresses of the active council members of `municipality`, else
    /// (none, or an action no municipality opened) of every active administrator.
    fn answering_for(
        &mut self,
        municipality: Option<i64>,
    ) -> impl std::future::Future<Output = Result<Vec<String>, sqlx::Error>> + Send;
}

crate::impl_for_connections! {
    impl AnsweringFor {
        async fn answering_for(&mut self, municipality: Option<i64>) -> Result<Vec<String>, sqlx::Error> {
            let council: Vec<String> = sqlx::query_scalar(
                "SELECT email FROM users WHERE role = 'council' AND municipality_id = $1 AND NOT disabled ORDER BY id",
            )
            .bind(municipality)
            .fetch_all(&mut *self)
            .await?;
            if !council.is_empty() {
                return Ok(council);
            }
            sqlx::query_scalar("SELECT email FROM users WHERE role = 'admin' AND NOT disabled ORDER BY id")
                .fetch_all(&mut *self)
                .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_action_is_run_by_its_municipality_or_an_administrator() {
        let council = |municipality| Acting {
            role: Role::Council,
            municipality: Some(municipality),
        };
        assert!(may_run(council("brussels"), Some("brussels")));
        assert!(!may_run(council("ghent"), Some("brussels")));
        assert!(!may_run(council("ghent"), None));
        let admin = Acting {
            role: Role::Admin,
            municipality: None,
        };
        assert!(may_run(admin, Some("brussels")));
        assert!(may_run(admin, None));
        let comms = Acting {
            role: Role::Comms,
            municipality: None,
        };
        assert!(!may_run(comms, Some("brussels")));
        assert!(!may_run(comms, None), "no owner is nobody's own");
    }
}
