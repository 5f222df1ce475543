//! `/staff/persons/:slug/updates/new` and `/staff/updates/:id`: communications
//! staff write a status update, see it as the public timeline will show it,
//! and publish or unpublish it.
use super::forms::{
    gate, gated, FlashNotice, LangField, SelectField, StaffNav, TextArea, TextField,
};
use crate::domain::{Permission, Status, StatusEventRecord};
use crate::i18n::use_locale;
use crate::staff::forms::FormFlash;
use crate::staff::updates::{
    new_status_update, staff_status_update, NewUpdateWorkspace, PublishStatusUpdate,
    SaveStatusUpdate, StatusUpdateWorkspace, UnpublishStatusUpdate, UPDATE_FORM,
};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::{Meta, Title};

#[component]
fn UpdateFields(
    person: String,
    record: Option<StatusEventRecord>,
    flash: Option<FormFlash>,
) -> impl IntoView {
    let locale = use_locale();
    let f = UPDATE_FORM;
    let mut statuses = vec![(String::new(), locale.t("staff.status_none"))];
    statuses.extend(
        Status::ALL
            .iter()
            .map(|s| (s.slug().to_owned(), locale.t(&s.label_key()))),
    );
    let (id, date, status, title, body, source_title, source_url) = match record {
        Some(r) => (
            r.id.to_string(),
            r.occurred_on.to_string(),
            r.status.map(|s| s.slug().to_owned()).unwrap_or_default(),
            r.title,
            r.body_html.unwrap_or_default(),
            r.source_title.unwrap_or_default(),
            r.source_url.unwrap_or_default(),
        ),
        None => Default::default(),
    };
    view! {
        <LangField/>
        <input type="hidden" name="update" value=id/>
        <input type="hidden" name="person" value=person/>
        <TextField form=f name="occurred_on" label=locale.t("staff.occurred_on") value=date flash=flash.clone() hint=locale.t("staff.date_hint") required=true/>
        <SelectField form=f name="status" label=locale.t("staff.status") value=status flash=flash.clone() options=statuses/>
        <TextField form=f name="title" label=locale.t("staff.update_title") value=title flash=flash.clone() required=true/>
        <TextArea form=f name="body" label=locale.t("staff.body") value=body flash=flash.clone() hint=locale.t("staff.rich_hint") rows=8/>
        <TextField form=f name="source_title" label=locale.t("staff.source_title") value=source_title flash=flash.clone()/>
        <TextField form=f name="source_url" label=locale.t("staff.source_url") value=source_url flash=flash.clone() kind="url"/>
    }
}

#[component]
pub fn StaffNewUpdatePage(slug: String) -> impl IntoView {
    super::private_page();
    let locale = use_locale();
    let data = Resource::new(
        move || slug.clone(),
        move |slug| gate(Permission::WriteUpdates, new_status_update(slug)),
    );
    let title = locale.t("staff.new_update");
    view! {
        <Title text=title.clone()/>
        <Meta name="robots" content="noindex"/>
        {gated(data, move |page: NewUpdateWorkspace| view! {
            <StaffNav user=page.user.clone()/>
            <section class="staff-page">
                <h1>{title.clone()}</h1>
                <p><a href=locale.path(&format!("/staff/persons/{}", page.person), false)>
                    {locale.t("staff.back_to_person").replace("%{person}", &page.person_name)}
                </a></p>
                <FlashNotice flash=page.flash.clone()/>
                <form method="post" action={<SaveStatusUpdate as ServerFn>::PATH} class="staff-form">
                    <UpdateFields person=page.person.clone() record=None flash=page.flash.clone()/>
                    <button type="submit">{locale.t("staff.save")}</button>
                </form>
            </section>
        })}
    }
}

#[component]
pub fn StaffUpdatePage(id: String) -> impl IntoView {
    super::private_page();
    let locale = use_locale();
    let data = Resource::new(
        move || id.clone(),
        move |id| {
            gate(Permission::WriteUpdates, async move {
                match id.parse::<i64>() {
                    Ok(id) => staff_status_update(id).await,
                    Err(_) => Ok(None),
                }
            })
        },
    );
    view! {
        <Meta name="robots" content="noindex"/>
        {gated(data, move |page: StatusUpdateWorkspace| {
            let u = page.update.clone();
            let flash = page.flash.clone();
            let (button_path, button_label) = if u.is_published {
                (<UnpublishStatusUpdate as ServerFn>::PATH, locale.t("staff.unpublish"))
            } else {
                (<PublishStatusUpdate as ServerFn>::PATH, locale.t("staff.publish"))
            };
            view! {
                <Title text=u.title.clone()/>
                <StaffNav user=page.user.clone()/>
                <section class="staff-page">
                    <h1>{u.title.clone()}</h1>
                    <p><a href=locale.path(&format!("/staff/persons/{}", u.person), false)>
                        {locale.t("staff.back_to_person").replace("%{person}", &page.person_name)}
                    </a></p>
                    <FlashNotice flash=flash.clone()/>
                    <p class="update-state">
                        <strong>{locale.t(if u.is_published { "staff.state_published" } else { "staff.state_draft" })}</strong>
                    </p>
                    <form method="post" action=button_path class="inline-form">
                        <LangField/>
                        <input type="hidden" name="update" value=u.id.to_string()/>
                        <button type="submit">{button_label}</button>
                    </form>
                    <h2>{locale.t("staff.preview")}</h2>
                    <article class="timeline-entry preview">
                        <p class="timeline-date">{u.occurred_on.format(locale)}</p>
                        {u.status.map(|s| view! { <p class="status-badge">{locale.t(&s.label_key())}</p> })}
                        <h3>{u.title.clone()}</h3>
                        // Sanitized when it was saved: what is stored is what is rendered.
                        {u.body_html.clone().map(|html| view! { <div class="timeline-body" inner_html=html></div> })}
                        {u.source_url.clone().map(|url| {
                            let label = u.source_title.clone().unwrap_or_else(|| url.clone());
                            view! { <p class="timeline-source"><a href=url rel="noopener noreferrer">{label}</a></p> }
                        })}
                    </article>
                    <h2>{locale.t("staff.edit_update")}</h2>
                    <form method="post" action={<SaveStatusUpdate as ServerFn>::PATH} class="staff-form">
                        <UpdateFields person=u.person.clone() record=Some(u.clone()) flash=flash.clone()/>
                        <button type="submit">{locale.t("staff.save")}</button>
                    </form>
                </section>
            }
        })}
    }
}
