//! The auth kind every route declares (none, or a bearer for a ports `Operation`), and the kinds of each resource's
//! methods, which the extractor, the rate limits and the protocol's hygiene read.

use quantarya_ports::{KeyAccess, Operation};

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// Anyone.
    None,
    /// A user JWT, or an API key as the ports' key policy says of the operation ([`Operation::key_access`]).
    Bearer(Operation),
}

impl Auth {
    /// What an API key needs here: `None` on a public route.
    pub const fn key_access(self) -> Option<KeyAccess> {
        match self {
            Self::None => None,
            Self::Bearer(operation) => Some(operation.key_access()),
        }
    }

    /// How the reference labels it, with the scope a key needs.
    pub fn label(self) -> String {
        match self.key_access() {
            None => "None".to_owned(),
            Some(KeyAccess::Refused) => "Bearer user JWT".to_owned(),
            Some(KeyAccess::Scope(scope)) => format!("Bearer API key (scope `{}`) or user JWT", scope.as_str()),
        }
    }
}

/// The auth kind of each method a resource takes, registered with the resource for the extractor.
#[derive(Debug, Clone, Default)]
pub struct ResourceAuth(Vec<(&'static str, Auth)>);

impl ResourceAuth {
    /// The auth kind of each method (`GET`, `POST`, …) of one path.
    pub fn new(methods: impl IntoIterator<Item = (&'static str, Auth)>) -> Self {
        Self(methods.into_iter().collect())
    }

    /// The auth kind of `method`, if the resource takes it.
    pub fn of(&self, method: &str) -> Option<Auth> {
        self.0.iter().find(|(taken, _)| *taken == method).map(|(_, auth)| *auth)
    }
}

/// The auth kind of the route `req` was routed to, from its resource's [`ResourceAuth`]; `None` before routing,
/// for a path no route takes, or a method its path does not take.
pub fn route_auth(req: &actix_web::HttpRequest) -> Option<Auth> {
    req.app_data::<ResourceAuth>().and_then(|auth| auth.of(req.method().as_str()))
}
