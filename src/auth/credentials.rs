//! Where a request carries credentials besides its cookie: `Authorization: Bearer` and `?token=`.

/// The token of `Authorization: Bearer TOKEN`.
pub(super) fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// `Some(Some(token))` when the query has exactly one `token`, `Some(None)` when it has several (wrong), `None`
/// when it has none.
pub(super) fn query_token(query: &str) -> Option<Option<String>> {
    let tokens: Vec<String> = query_pairs(query)
        .filter(|(key, _)| key == "token")
        .map(|(_, value)| value)
        .collect();
    match tokens.len() {
        0 => None,
        1 => tokens.into_iter().next().map(Some),
        _ => Some(None),
    }
}

/// The decoded pairs of a query string; malformed pairs are skipped.
fn query_pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    query.split('&').filter_map(|pair| {
        actix_web::web::Query::<Vec<(String, String)>>::from_query(pair)
            .ok()
            .and_then(|q| q.into_inner().pop())
    })
}

/// `query` without its `token` pairs, as it was written otherwise.
pub fn query_without_token(query: &str) -> String {
    query
        .split('&')
        .filter(|pair| !pair.is_empty() && query_pairs(pair).all(|(key, _)| key != "token"))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_taken_out_of_the_query_even_when_encoded() {
        assert_eq!(query_without_token("token=abc"), "");
        assert_eq!(query_without_token("a=1&token=abc&b=2"), "a=1&b=2");
        assert_eq!(query_without_token("%74oken=abc&b=2"), "b=2");
        assert_eq!(query_token("%74oken=a%62c"), Some(Some("abc".into())));
        assert_eq!(query_token("token=a&token=b"), Some(None));
        assert_eq!(query_token("tokens=a"), None);
    }

    #[test]
    fn bearer_values_are_read_in_any_case() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer  abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer"), None);
    }
}
