//! `/me` and `/profiles/{user_name}`.

use actix_web::{HttpRequest, HttpResponse, web};
use quantarya_domain::UserName;

use crate::auth::Authenticated;
use crate::auth_kind::Auth;
use crate::body::{Media, json_object};
use crate::dto::profile::{AccountDeletionView, ProfileRequest, ProfileView, PublicProfileView, parse_profile};
use crate::error::ApiError;
use crate::error_code::ErrorCode;
use crate::reply;
use crate::route::{Param, ParamKind, RouteSpec, Verb, created, json, ok, one, route};
use crate::routes::required_body;
use crate::state::AppState;
use quantarya_ports::Operation;

const USER_NAME: Param = Param { name: "user_name", description: "Public Quantarya username.", kind: ParamKind::Text };

/// The routes of `/me` and `/profiles/{user_name}`. The profile routes are the ones a user may call before having
/// a profile.
pub const ROUTES: &[RouteSpec] = &[
    RouteSpec {
        success: &[ok("Authenticated user profile.", one::<ProfileView>())],
        not_found: true,
        needs_profile: false,
        ..route(
            Verb::Get,
            "/me",
            "get_profile",
            "User",
            "Get current user profile",
            "Return the authenticated user's Quantarya profile (404 before it is created).",
            Auth::Bearer(Operation::GetProfile),
            |r| r.to(get_me),
        )
    },
    RouteSpec {
        body: json::<ProfileRequest>(),
        success: &[
            created("User profile created.", one::<ProfileView>()),
            ok("User profile updated.", one::<ProfileView>()),
        ],
        conflicts: &[ErrorCode::UserNameTaken, ErrorCode::ConcurrentUpdate],
        needs_profile: false,
        ..route(
            Verb::Post,
            "/me",
            "save_profile",
            "User",
            "Create or update current user profile",
            "Create the current user profile or update it; an update keeps the fields it omits.",
            Auth::Bearer(Operation::SaveProfile),
            |r| r.to(save_me),
        )
    },
    RouteSpec {
        success: &[ok("Workspace profile deleted.", one::<AccountDeletionView>())],
        not_found: true,
        needs_profile: false,
        ..route(
            Verb::Delete,
            "/me",
            "delete_profile",
            "User",
            "Delete workspace profile",
            "Delete the current Quantarya workspace profile and its dependent data: strategies, trades and API keys.",
            Auth::Bearer(Operation::DeleteProfile),
            |r| r.to(delete_me),
        )
    },
    RouteSpec {
        path_params: &[USER_NAME],
        success: &[ok("Public profile found.", one::<PublicProfileView>())],
        ..route(
            Verb::Get,
            "/profiles/{user_name}",
            "get_public_profile",
            "Profiles",
            "Get public profile",
            "Return a public Quantarya profile when the user has enabled sharing.",
            Auth::None,
            |r| r.to(public_profile),
        )
    },
];

/// `GET /me`.
pub async fn get_me(state: web::Data<AppState>, who: Authenticated) -> Result<HttpResponse, ApiError> {
    let user = state.journal.get_profile(&who.0).await?;
    Ok(reply::ok("Profile found", ProfileView::from(user)))
}

/// `POST /me`: 201 when it creates the profile, 200 when it updates it.
pub async fn save_me(
    state: web::Data<AppState>,
    who: Authenticated,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let change = parse_profile(required_body(json_object(&req, payload, Media::Json).await?)?)?;
    let saved = state.journal.save_profile(&who.0, change).await?;
    Ok(if saved.created {
        reply::created("Profile created", ProfileView::from(saved.value))
    } else {
        reply::ok("Profile updated", ProfileView::from(saved.value))
    })
}

/// `DELETE /me`.
pub async fn delete_me(state: web::Data<AppState>, who: Authenticated) -> Result<HttpResponse, ApiError> {
    let deletion = state.journal.delete_profile(&who.0).await?;
    Ok(reply::ok("Profile and all its data deleted", AccountDeletionView::new(&who.0.user_id, deletion)))
}

/// `GET /profiles/{user_name}`: no credentials.
pub async fn public_profile(state: web::Data<AppState>, name: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let name = UserName::parse(&name).map_err(|_| ApiError::not_found("profile"))?;
    let profile = state.journal.public_profile(&name).await?;
    Ok(reply::ok("Public profile found", PublicProfileView::from(profile)))
}
