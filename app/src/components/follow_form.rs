//! "Send me news of this case" on a person's page (`signing::follows`): an
//! address and how often, a plain form (no island: the same with
//! JavaScript off). The page is kept by the render cache for everyone, so
//! what it shows of one visitor comes only with their flash cookie (which
//! passes the cache by) or from the address (`?follow=sent`, the same for
//! all).
use super::{described_by, Honeypot};
use crate::i18n::use_locale;
use crate::signing::follows::{Cadence, FollowFlash, FollowValues, FOLLOW_PATH, FORM_ANCHOR};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn FollowForm(
    /// The person's slug.
    person: String,
    person_name: String,
) -> impl IntoView {
    let locale = use_locale();
    let sent = use_query_map()
        .read_untracked()
        .get("follow")
        .is_some_and(|v| v == "sent");
    #[cfg(feature = "ssr")]
    let flash = crate::signing::follows::on_server::take_flash(&person).unwrap_or_default();
    #[cfg(not(feature = "ssr"))]
    let flash = FollowFlash::default();
    let FollowFlash { values, problem } = flash;
    let FollowValues { email, cadence, .. } = values;
    let chosen = Cadence::from_code(&cadence).unwrap_or_default();
    let email_problem = (problem == "follow.error_email").then(|| problem.clone());
    let cadence_problem = (problem == "follow.error_cadence").then(|| problem.clone());
    let cadence_described = cadence_problem.is_some().then_some("follow-cadence-error");
    let intro = locale.t("follow.intro").replace("%{person}", &person_name);
    let choices = Cadence::ALL
        .into_iter()
        .map(|c| {
            let id = format!("follow-{}", c.code());
            view! {
                <div class="check">
                    <input
                        id=id.clone()
                        name="cadence"
                        type="radio"
                        value=c.code()
                        checked={c == chosen}
                    />
                    <label for=id>{locale.t(c.key())}</label>
                </div>
            }
        })
        .collect_view();
    view! {
        <section aria-labelledby="follow-heading" class="follow" id=FORM_ANCHOR>
            <h2 id="follow-heading">{locale.t("follow.heading")}</h2>
            {sent
                .then(|| {
                    view! {
                        <p class="notice" role="status">
                            {locale.t("follow.sent")}
                        </p>
                    }
                })}
            <p>{intro}</p>
            <form method="post" action=FOLLOW_PATH class="follow-form">
                <input type="hidden" name="lang" value=locale.code() />
                <input type="hidden" name="person" value=person />
                <div class="field">
                    <label for="follow-email">{locale.t("follow.email")}</label>
                    <input
                        id="follow-email"
                        name="email"
                        type="email"
                        required
                        autocomplete="email"
                        value=email
                        aria-invalid=email_problem.as_ref().map(|_| "true")
                        aria-describedby=described_by("follow-email", true, email_problem.is_some())
                    />
                    <p class="hint" id="follow-email-hint">
                        {locale.t("follow.email_hint")}
                    </p>
                    {email_problem
                        .map(|key| {
                            view! {
                                <p class="field-error" id="follow-email-error">
                                    {locale.t(&key)}
                                </p>
                            }
                        })}
                </div>
                <fieldset class="field" aria-describedby=cadence_described>
                    <legend>{locale.t("follow.cadence")}</legend>
                    {choices}
                    {cadence_problem
                        .map(|key| {
                            view! {
                                <p class="field-error" id="follow-cadence-error">
                                    {locale.t(&key)}
                                </p>
                            }
                        })}
                </fieldset>
                <Honeypot />
                <button type="submit">{locale.t("follow.submit")}</button>
            </form>
        </section>
    }
}
