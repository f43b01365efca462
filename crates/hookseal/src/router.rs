//! The router (docs/api.md, "The router"): one handler per verified event, chosen by its event type, by the rule every
//! runtime shares (tests/vectors/router/routes.json).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::error::{invalid_option, ConfigError};
use crate::event::{json_string, Event};
use crate::provider::Provider;

/// What [`Router::dispatch`] does with an event no pattern matches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Unhandled {
    /// Answer it as done: [`Dispatched::Unhandled`], and the claim is completed (the event will not be offered again).
    #[default]
    Accept,
    /// Refuse it: [`DispatchError::Unhandled`], answered 501 `{"error": "unhandled_event"}`, and the claim is released,
    /// so that the provider's retry is processed once a deploy adds the handler.
    Reject,
}

impl Unhandled {
    /// `"accept"` or `"reject"`, as every binding spells the option.
    pub const fn as_str(self) -> &'static str {
        match self {
            Unhandled::Accept => "accept",
            Unhandled::Reject => "reject",
        }
    }
}

impl fmt::Display for Unhandled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Unhandled {
    type Err = ConfigError;

    fn from_str(name: &str) -> Result<Self, ConfigError> {
        match name {
            "accept" => Ok(Unhandled::Accept),
            "reject" => Ok(Unhandled::Reject),
            _ => Err(invalid_option("unhandled must be accept or reject")),
        }
    }
}

/// The patterns given to one [`Router::on`] call: one (`&str`, `String`) or several (an array, a slice, a `Vec`).
pub trait IntoPatterns {
    /// The patterns, in order.
    fn into_patterns(self) -> Vec<String>;
}

impl IntoPatterns for &str {
    fn into_patterns(self) -> Vec<String> {
        vec![self.to_owned()]
    }
}

impl IntoPatterns for String {
    fn into_patterns(self) -> Vec<String> {
        vec![self]
    }
}

impl IntoPatterns for &String {
    fn into_patterns(self) -> Vec<String> {
        vec![self.clone()]
    }
}

impl<S: AsRef<str>> IntoPatterns for &[S] {
    fn into_patterns(self) -> Vec<String> {
        self.iter().map(|s| s.as_ref().to_owned()).collect()
    }
}

impl<S: AsRef<str>, const N: usize> IntoPatterns for [S; N] {
    fn into_patterns(self) -> Vec<String> {
        self.iter().map(|s| s.as_ref().to_owned()).collect()
    }
}

impl<S: AsRef<str>, const N: usize> IntoPatterns for &[S; N] {
    fn into_patterns(self) -> Vec<String> {
        self.iter().map(|s| s.as_ref().to_owned()).collect()
    }
}

impl<S: AsRef<str>> IntoPatterns for Vec<S> {
    fn into_patterns(self) -> Vec<String> {
        self.iter().map(|s| s.as_ref().to_owned()).collect()
    }
}

impl<S: AsRef<str>> IntoPatterns for &Vec<S> {
    fn into_patterns(self) -> Vec<String> {
        self.iter().map(|s| s.as_ref().to_owned()).collect()
    }
}

/// A handler: what a router runs for one event.
type Handler<'h, T, E> = dyn Fn(&Event<'_>) -> Result<T, E> + Send + Sync + 'h;

/// Runs exactly one handler per verified event, chosen by its event type.
///
/// A pattern is an exact event type (`order.status_changed`), a prefix followed by one trailing `*` (`order:*` matches
/// every type that starts with `order:`, `order:` itself included), or `*` alone (every event, also one without a
/// type). [`Router::dispatch`] runs the handler of the exact match; else of the longest matching prefix; else of `*`;
/// else the event is unhandled ([`Unhandled`]). Matching is case-sensitive, on the type as sent; a type-less event
/// matches only `*`. One handler, never several: exactly once is per delivery, and if a second handler failed, the
/// released claim would make the retry run the first one again.
///
/// Handlers are `Send + Sync`: a router is built once at start-up and shared by every worker thread; a handler that
/// keeps state uses a lock or an atomic. `T` is what handlers return (the answer), `E` their error.
///
/// With the dedupe store (docs/exactly-once.md): claim the event's key, dispatch, then complete the claim when
/// dispatch returned (an unhandled event accepted included) or release it when it failed (the handler's error, a
/// rejected unhandled event, an event of another provider), so that the provider's retry is processed:
///
/// ```
/// use hookseal::{sign, DispatchError, Dispatched, Options, Provider, Router, SignOptions, Verifier};
/// use hookseal_store::{ClaimOutcome, Store, StoreOptions};
///
/// let options = Options::new().secret("whsk_elmed_endpoint_secret");
/// let verifier = Verifier::new("elmed", &options)?;
/// let mut router = Router::new().provider(Provider::Elmed);
/// router
///     .on("order.status_changed", |event| Ok::<_, String>(format!("order {}", event.idempotency_key())))?
///     .on(["prescription.issued", "prescription.dispensed"], |_| Ok("prescription".to_owned()))?
///     .on("claim.*", |_| Err("the claims service is down".to_owned()))?;
///
/// let store = Store::open("memory:", &StoreOptions::new())?;
/// // What a receiver answers a delivery with: (HTTP status, body).
/// let receive = |body: &[u8]| -> Result<(u16, String), Box<dyn std::error::Error>> {
///     let headers = sign("elmed", body, &SignOptions::new(options.clone()))?;
///     let event = verifier.verify(body, &headers)?;
///     let claim = match store.claim("elmed", event.idempotency_key())? {
///         ClaimOutcome::Claimed(claim) => claim,
///         ClaimOutcome::Duplicate => return Ok((200, "duplicate".into())),
///         ClaimOutcome::InProgress { .. } => return Ok((503, "in_progress".into())),
///     };
///     match router.dispatch(&event) {
///         Ok(outcome) => {
///             store.complete(&claim)?;
///             Ok(match outcome {
///                 Dispatched::Handled(answer) => (200, answer),
///                 Dispatched::Unhandled(unhandled) => (200, unhandled.to_json()),
///             })
///         }
///         Err(error) => {
///             store.release(&claim)?;
///             Ok((error.http_status(), error.to_string()))
///         }
///     }
/// };
///
/// let shipped = br#"{"event":"order.status_changed","data":{"order_id":88,"status":"IN_TRANSIT"}}"#;
/// assert!(receive(shipped)?.1.starts_with("order sha256:"));
/// assert_eq!(receive(shipped)?, (200, "duplicate".into())); // the retry: nothing dispatched
///
/// let decision = br#"{"event":"claim.decision","data":{"claim_id":31}}"#;
/// assert_eq!(receive(decision)?.0, 500); // the handler failed: released...
/// assert_eq!(receive(decision)?.0, 500); // ...so the retry runs it again
///
/// let referral = br#"{"event":"referral.created","data":{}}"#;
/// assert!(receive(referral)?.1.starts_with(r#"{"status":"unhandled","event_type":"referral.created","#));
/// assert_eq!(receive(referral)?, (200, "duplicate".into())); // accepted: completed
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// `hookseal_store::process_once(&store, namespace, event.idempotency_key(), || router.dispatch(&event))` does the
/// same in one call.
pub struct Router<'h, T, E> {
    provider: Option<Provider>,
    unhandled: Unhandled,
    handlers: Vec<Box<Handler<'h, T, E>>>,
    /// Every pattern with its handler's index, in registration order.
    patterns: Vec<(Box<str>, usize)>,
    exact: BTreeMap<Box<str>, usize>,
    /// The prefixes of the `prefix*` patterns.
    prefixes: Vec<(Box<str>, usize)>,
    catch_all: Option<usize>,
}

impl<T, E> Default for Router<'_, T, E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'h, T, E> Router<'h, T, E> {
    /// A router for events of any provider, accepting unhandled events.
    pub fn new() -> Self {
        Self {
            provider: None,
            unhandled: Unhandled::Accept,
            handlers: Vec::new(),
            patterns: Vec::new(),
            exact: BTreeMap::new(),
            prefixes: Vec::new(),
            catch_all: None,
        }
    }

    /// Binds the router to the events one preset verifies: [`Router::dispatch`] refuses another provider's event
    /// (`invalid_option`), and [`Router::unknown_patterns`] checks the exact patterns against the provider's catalog
    /// (`custom`: the Management API's).
    #[must_use]
    pub fn provider(mut self, provider: Provider) -> Self {
        self.provider = Some(provider);
        self
    }

    /// What to do with an event no pattern matches (default: [`Unhandled::Accept`]).
    #[must_use]
    pub fn unhandled(mut self, unhandled: Unhandled) -> Self {
        self.unhandled = unhandled;
        self
    }

    /// The provider the router is bound to, if any.
    pub fn bound_provider(&self) -> Option<Provider> {
        self.provider
    }

    /// What the router does with an unhandled event.
    pub fn unhandled_mode(&self) -> Unhandled {
        self.unhandled
    }

    /// Registers `handler` for one pattern or several (`["a", "b"]`: the same handler for each).
    ///
    /// Fails with `invalid_option`, naming the pattern, and registers nothing, for an empty list, an empty pattern,
    /// a `*` anywhere but at the end (`*.created`, `ord*er`, `**`), or a pattern that already has a handler (from an
    /// earlier call or this one).
    pub fn on<P, F>(&mut self, patterns: P, handler: F) -> Result<&mut Self, ConfigError>
    where
        P: IntoPatterns,
        F: Fn(&Event<'_>) -> Result<T, E> + Send + Sync + 'h,
    {
        let patterns = patterns.into_patterns();
        if patterns.is_empty() {
            return Err(invalid_option("on() needs at least one pattern: the list is empty"));
        }
        for (i, pattern) in patterns.iter().enumerate() {
            check_pattern(pattern)?;
            if self.patterns.iter().any(|(p, _)| **p == **pattern) || patterns[..i].contains(pattern) {
                return Err(invalid_option(format!("the pattern {} already has a handler", quoted(pattern))));
            }
        }
        let index = self.handlers.len();
        self.handlers.push(Box::new(handler));
        for pattern in patterns {
            let pattern: Box<str> = pattern.into();
            match pattern.strip_suffix('*') {
                Some("") => self.catch_all = Some(index),
                Some(prefix) => self.prefixes.push((prefix.into(), index)),
                None => {
                    self.exact.insert(pattern.clone(), index);
                }
            }
            self.patterns.push((pattern, index));
        }
        Ok(self)
    }

    /// Registers a handler for one documented event type that receives the event's data typed: `D` is one of the
    /// `…Data` structs of [`crate::events`] (cargo feature `events`), and its event type is the pattern.
    ///
    /// ```
    /// # #[cfg(feature = "events")] {
    /// use hookseal::events::elmed::ClaimDecisionData;
    ///
    /// let mut router = hookseal::Router::<'_, String, Box<dyn std::error::Error>>::new();
    /// router.on_data(|_event, claim: ClaimDecisionData| Ok(format!("claim {:?}", claim.claim_id)))?;
    /// # }
    /// # Ok::<(), hookseal::ConfigError>(())
    /// ```
    ///
    /// Data of another shape than the catalog documents is the handler's error (`E::from` a
    /// [`TypedEventError`](crate::events::TypedEventError), which quotes no value): release the claim, as for any
    /// handler error. Fails as [`Router::on`] does, and with `invalid_option` when the router is bound to another
    /// provider than `D`'s.
    #[cfg(feature = "events")]
    pub fn on_data<D, F>(&mut self, handler: F) -> Result<&mut Self, ConfigError>
    where
        D: crate::events::EventData,
        E: From<crate::events::TypedEventError>,
        F: Fn(&Event<'_>, D) -> Result<T, E> + Send + Sync + 'h,
    {
        if let Some(provider) = self.provider {
            if provider != D::PROVIDER {
                return Err(invalid_option(format!(
                    "{} is an event type of {}; this router is for {provider}",
                    quoted(D::EVENT_TYPE),
                    D::PROVIDER
                )));
            }
        }
        self.on(D::EVENT_TYPE, move |event| handler(event, D::from_event(event)?))
    }

    /// Every pattern, in registration order.
    pub fn patterns(&self) -> Vec<&str> {
        self.patterns.iter().map(|(p, _)| &**p).collect()
    }

    /// The handler an event of this type would run: the index of the [`Router::on`] call that registered it, or
    /// `None` when the event would be unhandled.
    pub fn route(&self, event_type: Option<&str>) -> Option<usize> {
        let Some(event_type) = event_type else { return self.catch_all };
        if let Some(&index) = self.exact.get(event_type) {
            return Some(index);
        }
        self.prefixes
            .iter()
            .filter(|(prefix, _)| event_type.starts_with(&**prefix))
            .max_by_key(|(prefix, _)| prefix.len())
            .map(|&(_, index)| index)
            .or(self.catch_all)
    }

    /// Fails (`invalid_option`) when the router is bound to another provider than `provider`: a framework helper
    /// given both a verifier and a router checks this at start-up, so that a mis-wired route fails there.
    pub fn check_provider(&self, provider: Provider) -> Result<(), ConfigError> {
        match self.provider {
            Some(bound) if bound != provider => {
                Err(invalid_option(format!("a router for {bound} was given a {provider} event")))
            }
            _ => Ok(()),
        }
    }

    /// Runs the one handler the event's type selects ([`Router::route`]) and returns what it returned.
    ///
    /// With no handler: [`Dispatched::Unhandled`] under [`Unhandled::Accept`], [`DispatchError::Unhandled`] under
    /// [`Unhandled::Reject`]. An event of another provider than the router's is [`DispatchError::Config`]
    /// (`invalid_option`), and no handler runs.
    pub fn dispatch(&self, event: &Event<'_>) -> Result<Dispatched<T>, DispatchError<E>> {
        self.check_provider(event.provider()).map_err(DispatchError::Config)?;
        match self.route(event.event_type()).and_then(|index| self.handlers.get(index)) {
            Some(handler) => handler(event).map(Dispatched::Handled).map_err(DispatchError::Handler),
            None => {
                let unhandled = UnhandledEvent::of(event);
                match self.unhandled {
                    Unhandled::Accept => Ok(Dispatched::Unhandled(unhandled)),
                    Unhandled::Reject => Err(DispatchError::Unhandled(unhandled)),
                }
            }
        }
    }

    /// The exact patterns that the bound provider's catalog does not name, in registration order, each with the
    /// closest catalog type (edit distance at most 3) as a suggestion. Not an error (providers add events): a binding
    /// or an application shows each one once, as its `Display` spells it. Empty for a router bound to no provider or
    /// to Standard Webhooks (no catalog).
    pub fn unknown_patterns(&self) -> Vec<UnknownPattern> {
        let Some(provider) = self.provider else { return Vec::new() };
        let Some(known) = crate::events::event_types(provider) else { return Vec::new() };
        self.patterns
            .iter()
            .filter(|(pattern, _)| !pattern.ends_with('*') && !known.contains(&&**pattern))
            .map(|(pattern, _)| UnknownPattern {
                provider,
                pattern: pattern.to_string(),
                suggestion: suggestion(pattern, known),
            })
            .collect()
    }
}

// Handlers are closures: Debug names what the router is, never their internals.
impl<T, E> fmt::Debug for Router<'_, T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Router")
            .field("provider", &self.provider.map(Provider::as_str))
            .field("unhandled", &self.unhandled.as_str())
            .field("patterns", &self.patterns())
            .finish()
    }
}

fn quoted(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 2);
    json_string(&mut out, pattern);
    out
}

fn check_pattern(pattern: &str) -> Result<(), ConfigError> {
    if pattern.is_empty() {
        return Err(invalid_option("the pattern \"\" is empty: give an event type, a prefix followed by *, or *"));
    }
    match pattern.find('*') {
        Some(at) if at + 1 != pattern.len() => Err(invalid_option(format!(
            "the pattern {} has a * before its end: * may only end a pattern (prefix*) or be the whole of it",
            quoted(pattern)
        ))),
        _ => Ok(()),
    }
}

/// The closest of `known` to `pattern` within an edit distance of 3, the first in catalog order on a tie.
fn suggestion(pattern: &str, known: &[&'static str]) -> Option<&'static str> {
    known
        .iter()
        .map(|&k| (edit_distance(pattern, k), k))
        .filter(|&(distance, _)| distance <= 3)
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, k)| k)
}

/// Levenshtein distance, by characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = i;
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1).min(row[j] + 1).min(diagonal + usize::from(ca != cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// What [`Router::dispatch`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dispatched<T> {
    /// A handler ran and returned this.
    Handled(T),
    /// No pattern matched and the router accepts unhandled events: answer 200 with [`UnhandledEvent::to_json`] and
    /// complete the claim.
    Unhandled(UnhandledEvent),
}

impl<T> Dispatched<T> {
    /// The handler's value, `None` for an unhandled event.
    pub fn handled(self) -> Option<T> {
        match self {
            Dispatched::Handled(value) => Some(value),
            Dispatched::Unhandled(_) => None,
        }
    }
}

/// Why [`Router::dispatch`] did not return: release the claim (a receiver answers with [`DispatchError::http_status`]).
#[derive(Clone, PartialEq, Eq)]
pub enum DispatchError<E> {
    /// The handler failed.
    Handler(E),
    /// No pattern matched and the router rejects unhandled events (`unhandled_event`: answer 501).
    Unhandled(UnhandledEvent),
    /// The event is another provider's than the router's (`invalid_option`).
    Config(ConfigError),
}

impl<E> DispatchError<E> {
    /// The HTTP status a receiver answers with: 501 for an unhandled event, 500 otherwise.
    pub fn http_status(&self) -> u16 {
        match self {
            DispatchError::Unhandled(_) => UnhandledEvent::HTTP_STATUS,
            DispatchError::Handler(_) | DispatchError::Config(_) => 500,
        }
    }
}

impl<E: fmt::Debug> fmt::Debug for DispatchError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DispatchError::Handler(error) => f.debug_tuple("Handler").field(error).finish(),
            DispatchError::Unhandled(unhandled) => f.debug_tuple("Unhandled").field(unhandled).finish(),
            DispatchError::Config(error) => f.debug_tuple("Config").field(error).finish(),
        }
    }
}

impl<E: fmt::Display> fmt::Display for DispatchError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DispatchError::Handler(error) => write!(f, "the handler failed: {error}"),
            DispatchError::Unhandled(unhandled) => write!(f, "{}: {unhandled}", UnhandledEvent::CODE),
            DispatchError::Config(error) => error.fmt(f),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for DispatchError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DispatchError::Handler(error) => Some(error),
            DispatchError::Unhandled(unhandled) => Some(unhandled),
            DispatchError::Config(error) => Some(error),
        }
    }
}

/// An event no pattern matched: the accepted answer ([`Dispatched::Unhandled`]) or the refusal
/// ([`DispatchError::Unhandled`], code `unhandled_event`). It holds the event's type and key, never its data.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct UnhandledEvent {
    provider: Provider,
    event_type: Option<String>,
    idempotency_key: String,
}

impl UnhandledEvent {
    /// The error code of a refused unhandled event, the same in every binding.
    pub const CODE: &'static str = "unhandled_event";

    /// The HTTP status a refused unhandled event is answered with (Not Implemented: every provider retries a 5xx, so
    /// a deploy that adds the handler processes the retry).
    pub const HTTP_STATUS: u16 = 501;

    /// The body a refused unhandled event is answered with.
    pub const ERROR_JSON: &'static str = r#"{"error":"unhandled_event"}"#;

    fn of(event: &Event<'_>) -> Self {
        Self {
            provider: event.provider(),
            event_type: event.event_type().map(str::to_owned),
            idempotency_key: event.idempotency_key().to_owned(),
        }
    }

    /// [`UnhandledEvent::CODE`].
    pub fn code(&self) -> &'static str {
        Self::CODE
    }

    /// The preset that verified the event.
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// The event's type, `None` for a Standard Webhooks body without one.
    pub fn event_type(&self) -> Option<&str> {
        self.event_type.as_deref()
    }

    /// The event's idempotency key.
    pub fn idempotency_key(&self) -> &str {
        &self.idempotency_key
    }

    /// The accepted answer's body, the same wire answer in every language:
    /// `{"status":"unhandled","event_type":<type or null>,"idempotency_key":<key>}`.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(self.idempotency_key.len() + 96);
        out.push_str(r#"{"status":"unhandled","event_type":"#);
        match &self.event_type {
            Some(event_type) => json_string(&mut out, event_type),
            None => out.push_str("null"),
        }
        out.push_str(r#","idempotency_key":"#);
        json_string(&mut out, &self.idempotency_key);
        out.push('}');
        out
    }
}

/// `no handler for the delivery <key> from <provider> (<type>)`: the line a receiver logs, followed by `: accepted`
/// or `: refused 501 unhandled_event` (a type-less event shows `null`).
impl fmt::Display for UnhandledEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no handler for the delivery {} from {} ({})",
            self.idempotency_key,
            self.provider,
            self.event_type.as_deref().unwrap_or("null")
        )
    }
}

impl fmt::Debug for UnhandledEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnhandledEvent")
            .field("provider", &self.provider.as_str())
            .field("event_type", &self.event_type)
            .field("idempotency_key", &self.idempotency_key)
            .finish()
    }
}

impl std::error::Error for UnhandledEvent {}

/// An exact pattern that the bound provider's catalog does not name ([`Router::unknown_patterns`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UnknownPattern {
    provider: Provider,
    pattern: String,
    suggestion: Option<&'static str>,
}

impl UnknownPattern {
    /// The router's provider.
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// The pattern as registered.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// The catalog's closest event type, if one is within an edit distance of 3.
    pub fn suggestion(&self) -> Option<&'static str> {
        self.suggestion
    }
}

/// The warning every runtime shows: `hookseal: elmed documents no event 'order.status_change'; did you mean
/// 'order.status_changed'?` (without the question when there is no suggestion).
impl fmt::Display for UnknownPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "hookseal: {} documents no event '{}'", self.provider, self.pattern)?;
        match self.suggestion {
            Some(suggestion) => write!(f, "; did you mean '{suggestion}'?"),
            None => Ok(()),
        }
    }
}
