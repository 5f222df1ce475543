//! The one definition of what counts for a support action, as SQL read by
//! every feature that shows or checks a count (public reads, signing's
//! threshold and refusals, staff pages and deliveries): each is a subquery
//! on the action aliased `a`. The public count is confirmed online
//! signatures plus paper ones; a delivered action takes no more.

/// Confirmed online signatures of the support action `a`: pending and
/// withdrawn ones do not count. Public and staff pages count with it.
#[macro_export]
macro_rules! confirmed_count {
    () => {
        "(SELECT COUNT(*) FROM signatures s WHERE s.action_id = a.id AND s.state = 'confirmed')"
    };
}

/// Signatures of the support action `a` collected on paper, recorded by the
/// batch: they count with the confirmed ones.
#[macro_export]
macro_rules! paper_count {
    () => {
        "(SELECT COALESCE(CAST(SUM(b.signatures) AS BIGINT), 0) FROM paper_batches b WHERE b.action_id = a.id)"
    };
}

/// Whether the signatures of the support action `a` were delivered: then it
/// takes no more (`Availability::Delivered`).
#[macro_export]
macro_rules! delivered {
    () => {
        "EXISTS (SELECT 1 FROM deliveries d WHERE d.action_id = a.id)"
    };
}
