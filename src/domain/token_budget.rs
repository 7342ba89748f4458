//! The size budget of an access token: the longest token this dealer issues, and the bounds on
//! the claims a registration or a user can widen, which keep every token within it.

/// The longest token this dealer issues, in bytes: one it can take back, in an `Authorization`
/// header (HTTP/2 allows 16 KiB of headers in all) as in an introspection or revocation body.
///
/// Every claim is bounded so that the widest token fits: a signature of at most 683 base64
/// characters (RSA-4096) and a header of about 100 leave 11,500 for the claims, 8,627 bytes of
/// JSON. The widest password-grant claims, each written with JSON escapes at worst: `scope`
/// 4,096 ([`MAX_CLIENT_SCOPE_BYTES`]), `roles` 1,536 ([`MAX_USER_ROLE_BYTES`]), `aud` 1,024
/// (512 characters, each possibly escaped), `email` 508, `iss` 256, `wfc` 256, `client_id`
/// 128, `sub` 64, the rest (names, punctuation, numbers, `jti`, `reg`) about 300: 8,168 bytes.
/// Checked by `tests/api/contract/token_size.rs`; refusing a longer token stays the guarantee.
pub const MAX_TOKEN_BYTES: usize = 12 * 1024;

/// The most bytes a client's scope set takes, space-separated. A token carries the scopes
/// granted, and a token must fit where it is presented: an `Authorization` header, an
/// introspection or revocation body ([`MAX_TOKEN_BYTES`]).
pub const MAX_CLIENT_SCOPE_BYTES: usize = 4096;

/// The most a user's roles may take in its tokens' claims, a JSON array: each name plus its two
/// quotes and a comma. With every other claim bounded too, the widest user's token from the
/// widest client fits in [`MAX_TOKEN_BYTES`].
pub const MAX_USER_ROLE_BYTES: usize = 1536;
