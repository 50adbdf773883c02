//! What the API answers with (and the console renders): one view per thing a client reads,
//! built from the services' rows with `From`, each with its OpenAPI schema.

mod claim;
mod policy;
mod users;

pub use claim::*;
pub use policy::*;
pub use users::*;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A page of a listing: the items, and the cursor of the next page when there is one.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Pass as `cursor` to read the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// A whole list.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct List<T> {
    /// The items.
    pub items: Vec<T>,
}

impl<T> List<T> {
    /// A list of the views of rows.
    pub fn of<R>(rows: impl IntoIterator<Item = R>) -> List<T>
    where
        T: From<R>,
    {
        List {
            items: rows.into_iter().map(T::from).collect(),
        }
    }
}
