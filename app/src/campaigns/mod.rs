//! Campaigns: support actions and what came of them. The action itself
//! (`actions`: write, open and close, export its signers), its paper
//! signatures (`paper`), the delivery (`deliveries`) and the addressee's
//! response (`responses`), and the action's staff page (`workspace`, and
//! its views in `pages`). A support action belongs to the municipality that
//! opened it: `records::owners`.
pub mod actions;
pub mod deliveries;
pub mod pages;
pub mod paper;
pub mod responses;
pub mod workspace;
