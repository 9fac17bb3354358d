//! One party of a fast image run as a sans-IO state machine (docs/protocol.md §3, "Per
//! layer"): no channel, no clock. The runner ([`super::party`]) asks [`PartyCore::poll`]
//! what to do next ([`Action`]: a pure step was computed, a message to send, a message to
//! read, a garbled batch to run) and hands back what arrived ([`PartyCore::receive`],
//! [`PartyCore::garbled`]).
//!
//! Both parties run the same core: the steps are the same arithmetic under the party's
//! sign (the user's shares add, the cloud's subtract), and only their order on the wire
//! differs ([`schedule`], which also shows the messages).
//!
//! Randomness (issue 13, proof in [`super::fresh`]): each party encrypts its own shares with
//! short exponents in its own base (`h_U`, `h_C`, drawn per image and published in the
//! handshake above); every product returned to a key holder is re-randomised with
//! `h_K^y`, y on `bits(N) + σ + ⌈log2 uses⌉` bits. Engines ([`super::engine`]): with
//! [`CrossEngine::Rlwe`] the header names that engine, the bases are replaced by each
//! party's fresh RLWE public key for this image, and `Enc` is RLWE in the coefficient
//! encoding (docs/protocol.md §4); the message order is the same.
//!
//! Pipelining ([`super::schedule`]): the user cuts the image's patches into chunks
//! ([`super::schedule::Chunking`], the chunk size in the image header); the core keeps one
//! [`Lane`] per chunk (`lane.rs`, with the chunking) and the schedule decides the order of
//! the units (layer, chunk). A unit's products can be handed to the runner as a pure
//! [`Work`] to compute beside another unit's garbled batch ([`Action::GarbleBeside`]); the
//! core still does no I/O and owns every decision.

use super::activation::ShareCircuit;
use super::engine::{Cross, CrossEngine, check_engine_word};
use super::exchange::{KeyMsg, OwnKeys, Side, key_phase};
use super::msg::{CloudMsg, Expect, Framing, HEADER_BYTES, ImageHeader, MAGIC, Msg, Part, UserMsg};
use super::msg::{GcBatch, GcCircuit};
use super::msg::{VERSION, key_framing, key_wire, scheme_of_word};
use super::output::{OutputPlan, check_layout, header_layout, user_centres};
use super::schedule::{Action, At, Finished, MAX_CHUNKS, Op, schedule};
use super::shares::{ModelShare, ShareKey};
use super::step::{CloudView, MAX_PATCHES, fresh_zero_bound, input_offset};
use super::wire::{check_session, expect_words, protocol};
use crate::error::ProtocolError;
use model::fixed::FIXED;
use model::patches::ImageLayout;
use paillier::{PublicKey, SecretKey};
use rand::CryptoRng;
use runtime::channel::{SessionId, UNBOUND_SESSION};
use runtime::driver::{Reveal, TwoPartyCircuit};
use runtime::scheme::Scheme;

#[path = "lane.rs"]
mod lane;
#[path = "units.rs"]
mod units;
pub use super::schedule::Work;
pub use lane::Worked;
use lane::{Lane, join_rows};

/// One party's state during an image run.
pub struct PartyCore<'a> {
    side: Side,
    engine: CrossEngine,
    /// The garbling scheme: the user's choice, the cloud's from the header.
    scheme: Scheme,
    /// The session (the channel's id, an input: `in_session`), which the image header carries.
    session: SessionId,
    share: &'a ModelShare,
    circuit: &'a ShareCircuit,
    own_sk: &'a SecretKey,
    peer_pk: &'a PublicKey,
    inputs: &'a [Vec<i64>],
    image: Option<ImageLayout>,
    patches: usize,
    /// Patches per chunk (the header's word).
    chunk: usize,
    ops: Vec<Op>,
    pos: usize,
    own_keys: Option<OwnKeys>,
    peer_key: Option<KeyMsg>,
    cross: Option<Cross<'a>>,
    output: Option<OutputPlan>,
    /// One per chunk of patches.
    lanes: Vec<Lane>,
    /// The key message to send.
    outgoing: Option<Part>,
    /// The work beside the running batch was handed back ([`PartyCore::worked`]).
    beside_done: bool,
    /// Pixel sums and the next output group.
    sums: Vec<u64>,
    group: usize,
    pixels: Vec<u8>,
    view: Option<CloudView>,
    /// The result was handed out.
    done: bool,
}

impl<'a> PartyCore<'a> {
    /// The user's core for one image cut as `image`: `inputs[patch]` are the quantised input
    /// patches (`Fa`, [`model::denoise::quantised_patches`]).
    pub fn user(
        engine: CrossEngine,
        user_sk: &'a SecretKey,
        share: &'a ModelShare,
        circuit: &'a ShareCircuit,
        inputs: &'a [Vec<i64>],
        image: &ImageLayout,
    ) -> Result<Self, ProtocolError> {
        let ShareKey::CloudPublic(cloud_pk) = &share.key else {
            return Err(protocol(
                "model share",
                "the user needs a user share".into(),
            ));
        };
        let (first, last) = first_last(share)?;
        let bound = input_offset();
        if inputs.is_empty()
            || inputs
                .iter()
                .any(|p| p.len() != first.inputs || p.iter().any(|v| v.abs() > bound))
        {
            return Err(protocol(
                "inputs",
                format!(
                    "need at least one patch of {} values each, within ±{bound}",
                    first.inputs
                ),
            ));
        }
        check_layout(image, first.inputs, last.outputs, inputs.len())?;
        let mut core = Self::new(Side::User, engine, share, circuit, user_sk, cloud_pk);
        core.inputs = inputs;
        core.image = Some(image.clone());
        core.patches = inputs.len();
        core.set_chunk(inputs.len());
        Ok(core)
    }

    /// The cloud's core for one image whose header is still to come; `record_view` keeps
    /// everything it learns in clear.
    pub fn cloud(
        engine: CrossEngine,
        user_pk: &'a PublicKey,
        share: &'a ModelShare,
        circuit: &'a ShareCircuit,
        record_view: bool,
    ) -> Result<Self, ProtocolError> {
        let ShareKey::CloudSecret(cloud_sk) = &share.key else {
            return Err(protocol(
                "model share",
                "the cloud needs a cloud share".into(),
            ));
        };
        first_last(share)?;
        let mut core = Self::new(Side::Cloud, engine, share, circuit, cloud_sk, user_pk);
        core.view = record_view.then(CloudView::default);
        Ok(core)
    }

    fn new(
        side: Side,
        engine: CrossEngine,
        share: &'a ModelShare,
        circuit: &'a ShareCircuit,
        own_sk: &'a SecretKey,
        peer_pk: &'a PublicKey,
    ) -> Self {
        Self {
            side,
            engine,
            scheme: Scheme::default(),
            session: UNBOUND_SESSION,
            share,
            circuit,
            own_sk,
            peer_pk,
            inputs: &[],
            image: None,
            patches: 0,
            chunk: 0,
            ops: schedule(side, share.layers.len(), 1),
            pos: 0,
            own_keys: None,
            peer_key: None,
            cross: None,
            output: None,
            lanes: Vec::new(),
            outgoing: None,
            beside_done: false,
            sums: Vec::new(),
            group: 0,
            pixels: Vec::new(),
            view: None,
            done: false,
        }
    }

    /// Which party this is.
    pub fn side(&self) -> Side {
        self.side
    }

    /// Layers of the model.
    pub fn layers(&self) -> usize {
        self.share.layers.len()
    }

    /// Patches of the image (0 for the cloud until the header arrived).
    pub fn patches(&self) -> usize {
        self.patches
    }

    /// Patches of the chunk of `at` (0 if there is none).
    pub fn chunk_patches(&self, at: At) -> usize {
        self.lanes.get(at.chunk).map_or(0, Lane::len)
    }

    /// Chunks of the image (0 for the cloud until the header arrived).
    pub fn chunks(&self) -> usize {
        self.lanes.len()
    }

    fn user_pk(&self) -> &PublicKey {
        match self.side {
            Side::User => self.own_sk.public_key(),
            Side::Cloud => self.peer_pk,
        }
    }

    fn cross(&self) -> Result<&Cross<'a>, ProtocolError> {
        need(&self.cross, "the key exchange is not finished")
    }

    fn image(&self) -> Result<&ImageLayout, ProtocolError> {
        need(&self.image, "the image header has not arrived")
    }

    /// The next step: computes it if it is pure, else says what the runner must do.
    pub fn poll<R: CryptoRng + ?Sized>(&mut self, rng: &mut R) -> Result<Action, ProtocolError> {
        let Some(&op) = self.ops.get(self.pos) else {
            return self.finish();
        };
        let user = self.side == Side::User;
        let ring = self.share.ring;
        match op {
            Op::SendHeader => {
                self.pos += 1;
                let header = self.header()?;
                return Ok(Action::Send(op, Msg::ToCloud(UserMsg::Header(header))));
            }
            Op::RecvHeader => {
                let framing = Framing::Exact(HEADER_BYTES);
                return Ok(recv(op, framing, "image header"));
            }
            Op::OwnKeys => {
                let uses = fresh_zero_bound(self.share, self.patches);
                let (own, msg) = OwnKeys::draw(self.engine, self.own_sk.public_key(), uses, rng)?;
                self.own_keys = Some(own);
                self.outgoing = Some(Part::Key(msg));
            }
            Op::SendKey | Op::SendInputs(_) | Op::SendProducts(_) => {
                let slot = match op {
                    Op::SendInputs(at) | Op::SendProducts(at) => &mut self.lane_mut(at)?.outgoing,
                    _ => &mut self.outgoing,
                };
                let part = slot.take().ok_or_else(|| order("nothing to send"))?;
                self.pos += 1;
                return Ok(Action::Send(op, Msg::from_part(user, part)));
            }
            Op::RecvKey => {
                let framing = key_framing(self.engine, self.peer_pk);
                return Ok(recv(op, framing, key_phase(self.engine, self.side.peer())));
            }
            Op::RecvInputs(at) => {
                let (framing, phase) = self.cross()?.peer_inputs_framing(self.cut(at)?);
                return Ok(recv(op, framing, phase));
            }
            Op::RecvProducts(at) => {
                let (framing, phase) = self.cross()?.own_products_framing(self.cut(at)?);
                return Ok(recv(op, framing, phase));
            }
            Op::PeerKeys => {
                let (own, theirs) = (self.own_keys.take(), self.peer_key.take());
                let (Some(own), Some(theirs)) = (own, theirs) else {
                    return Err(order("key material missing"));
                };
                let uses = fresh_zero_bound(self.share, self.patches);
                let (sk, pk) = (self.own_sk, self.peer_pk);
                let cross = Cross::new(self.side, ring, sk, pk, own, theirs, uses, rng)?;
                self.cross = Some(cross);
            }
            Op::PlanOutput => {
                self.output = Some(OutputPlan::new(self.image()?, &FIXED, ring)?);
            }
            Op::Local(at) => self.local(at)?,
            Op::Encrypt(at) => {
                let lane = self.lane(at)?;
                let a = lane
                    .a
                    .as_deref()
                    .ok_or_else(|| order("no shares to encrypt"))?;
                let inputs = self.cross()?.encrypt(self.cut(at)?, a, rng)?;
                self.lane_mut(at)?.outgoing = Some(Part::Inputs(inputs));
            }
            Op::Multiply(at) => {
                let done = self.products(at, rng)?;
                self.take_products(done)?;
            }
            Op::Decrypt(at) => self.decrypt(at)?,
            Op::Activation(at, beside) => {
                let batch = self.activation_batch(at, rng)?;
                // Polled again after its work was handed back: the batch alone.
                let Some(next) = beside.filter(|_| !self.beside_done) else {
                    return Ok(Action::Garble(op, batch));
                };
                let mut seed = [0u8; 32];
                rng.fill_bytes(&mut seed);
                return Ok(Action::GarbleBeside(op, batch, Work { at: next, seed }));
            }
            Op::Output => return self.output_step(),
        }
        self.pos += 1;
        Ok(Action::Computed(op))
    }

    /// The user's image header.
    fn header(&self) -> Result<ImageHeader, ProtocolError> {
        let image = self.image()?;
        Ok(ImageHeader {
            magic: MAGIC,
            version: VERSION,
            ring_bits: u64::from(self.share.ring.k),
            patches: self.patches as u64,
            user_key: fingerprint_word(self.own_sk.public_key()),
            cloud_key: fingerprint_word(self.peer_pk),
            pair: self.share.binding.pair_word(),
            width: image.width as u64,
            height: image.height as u64,
            stride: image.geometry.stride as u64,
            engine: self.engine.code(),
            chunk: self.chunk as u64,
            scheme: u64::from(self.scheme.code()),
            session: self.session,
        })
    }

    /// The cloud's checks of the user's header, in an order that refuses a huge patch count
    /// before anything else is looked at.
    fn accept_header(&mut self, h: &ImageHeader) -> Result<(), ProtocolError> {
        let phase = "image header";
        let ring_bits = u64::from(self.share.ring.k);
        let names = ["magic", "version", "ring bits"];
        expect_words(phase, &names, &[MAGIC, VERSION, ring_bits], &h.to_words())?;
        check_engine_word(self.engine, h.engine)?;
        check_session(phase, &self.session, &h.session)?;
        self.scheme = scheme_of_word(h.scheme)?;
        if h.patches == 0 || h.patches > MAX_PATCHES {
            return Err(protocol(
                phase,
                format!("{} patches outside 1..={MAX_PATCHES}", h.patches),
            ));
        }
        let patches = h.patches as usize;
        let names = [
            "user key fingerprint",
            "cloud key fingerprint",
            "share pair id (the user and the cloud hold shares of different setups)",
        ];
        let ours = [
            fingerprint_word(self.user_pk()),
            fingerprint_word(self.own_sk.public_key()),
            self.share.binding.pair_word(),
        ];
        expect_words(phase, &names, &ours, &[h.user_key, h.cloud_key, h.pair])?;
        let (first, last) = first_last(self.share)?;
        let words = [h.width, h.height, h.stride];
        self.image = Some(header_layout(words, first.inputs, last.outputs, patches)?);
        if h.chunk == 0 || h.chunk > h.patches || h.patches.div_ceil(h.chunk) > MAX_CHUNKS as u64 {
            return Err(protocol(
                phase,
                format!(
                    "chunks of {} patches: need 1..={patches} and at most {MAX_CHUNKS} chunks",
                    h.chunk
                ),
            ));
        }
        self.patches = patches;
        self.set_chunk(h.chunk as usize);
        Ok(())
    }

    fn output_step(&mut self) -> Result<Action, ProtocolError> {
        let user = self.side == Side::User;
        let plan = need(&self.output, "the output circuits are not compiled")?;
        if self.sums.is_empty() {
            let ring = self.share.ring;
            let image = need(&self.image, "the image header has not arrived")?;
            let centres = user.then(|| user_centres(&FIXED, image, self.inputs));
            let (_, last) = first_last(self.share)?;
            let z = join_rows(&self.lanes, last.outputs, self.patches)
                .ok_or_else(|| order("the last layer's shares are incomplete"))?;
            self.sums = plan.pixel_sums(&ring, &z, centres.as_deref())?;
            self.pixels = vec![0u8; if user { plan.pixel_count() } else { 0 }];
            return Ok(Action::Computed(Op::Output));
        }
        if self.group < plan.groups() {
            let batch = GcBatch {
                circuit: GcCircuit::Output(self.group),
                garbler: user,
                reveal: Reveal::Garbler,
                scheme: self.scheme,
                bits: plan.group_bits(self.group, &self.sums, self.share.ring.k)?,
            };
            return Ok(Action::Garble(Op::Output, batch));
        }
        self.pos += 1;
        self.finish()
    }

    fn finish(&mut self) -> Result<Action, ProtocolError> {
        if std::mem::replace(&mut self.done, true) {
            return Err(order("the run is over"));
        }
        Ok(Action::Done(Finished {
            pixels: std::mem::take(&mut self.pixels),
            image: self.image()?.clone(),
            patches: self.patches,
            view: self.view.take(),
        }))
    }

    /// The circuit of a garbled batch.
    pub fn circuit(&self, which: GcCircuit) -> Result<&TwoPartyCircuit, ProtocolError> {
        match which {
            GcCircuit::Activation => Ok(self.circuit.two_party()),
            GcCircuit::Output(g) => need(&self.output, "the output circuits are not compiled")?
                .circuit(g)
                .ok_or_else(|| order("no such output group")),
        }
    }

    /// Wire form of a message this party sends.
    pub fn encode(&self, msg: &Msg) -> Result<Vec<u8>, ProtocolError> {
        let own_pk = self.own_sk.public_key();
        match msg {
            Msg::ToCloud(UserMsg::Header(h)) => Ok(h.to_bytes()),
            Msg::ToCloud(UserMsg::Key(k)) | Msg::ToUser(CloudMsg::Key(k)) => {
                Ok(key_wire(k, own_pk))
            }
            Msg::ToCloud(UserMsg::Inputs(i)) | Msg::ToUser(CloudMsg::Inputs(i)) => {
                let at = self.sending_at()?;
                self.cross()?.inputs_bytes(self.cut(at)?, i)
            }
            Msg::ToCloud(UserMsg::Products(p)) | Msg::ToUser(CloudMsg::Products(p)) => {
                Ok(self.cross()?.products_bytes(p))
            }
        }
    }

    /// Reads the message the current step waits for from its bytes (without the length
    /// prefix of [`Framing::Prefixed`]).
    pub fn decode(&self, bytes: &[u8]) -> Result<Msg, ProtocolError> {
        let from_user = self.side == Side::Cloud;
        let part = match self.ops.get(self.pos) {
            Some(Op::RecvHeader) => {
                return Ok(Msg::ToCloud(UserMsg::Header(ImageHeader::from_bytes(
                    bytes,
                )?)));
            }
            Some(Op::RecvKey) => {
                let phase = key_phase(self.engine, self.side.peer());
                Part::Key(KeyMsg::from_bytes(self.engine, self.peer_pk, bytes, phase)?)
            }
            Some(&Op::RecvInputs(at)) => {
                Part::Inputs(self.cross()?.peer_inputs(self.cut(at)?, bytes)?)
            }
            Some(&Op::RecvProducts(at)) => {
                Part::Products(self.cross()?.own_products(self.cut(at)?, bytes)?)
            }
            _ => return Err(order("no message is expected")),
        };
        Ok(Msg::from_part(from_user, part))
    }

    /// Takes the message the current step waits for.
    pub fn receive(&mut self, msg: Msg) -> Result<(), ProtocolError> {
        let op = self.ops.get(self.pos).copied();
        if msg.from_user() == (self.side == Side::User) {
            return Err(order("a message from this party itself"));
        }
        let name = msg.name();
        match (op, msg) {
            (Some(Op::RecvHeader), Msg::ToCloud(UserMsg::Header(h))) => self.accept_header(&h)?,
            (Some(Op::RecvKey), m) => match m.into_part() {
                Some(Part::Key(k)) => self.peer_key = Some(k),
                _ => return Err(unexpected(name)),
            },
            (Some(Op::RecvInputs(at)), m) => match m.into_part() {
                Some(Part::Inputs(i)) => {
                    if let Some(v) = self.view.as_mut() {
                        v.user_ciphertexts += i.len();
                    }
                    self.lane_mut(at)?.incoming = Some(Part::Inputs(i));
                }
                _ => return Err(unexpected(name)),
            },
            (Some(Op::RecvProducts(at)), m) => match m.into_part() {
                Some(p @ Part::Products(_)) => self.lane_mut(at)?.incoming = Some(p),
                _ => return Err(unexpected(name)),
            },
            _ => return Err(unexpected(name)),
        }
        self.pos += 1;
        Ok(())
    }

    /// Takes the outputs of the batch [`PartyCore::poll`] asked for (`None` when this party
    /// learns none).
    pub fn garbled(&mut self, outputs: Option<Vec<Vec<bool>>>) -> Result<(), ProtocolError> {
        let ring = self.share.ring;
        match (self.ops.get(self.pos).copied(), self.side) {
            (Some(Op::Activation(_, Some(_))), _) if !self.beside_done => {
                return Err(order("the work beside the batch was not handed back"));
            }
            (Some(Op::Activation(at, _)), Side::User) => {
                let lane = self.lane_mut(at)?;
                lane.a = Some(lane.masks.drain(..).map(|r| ring.neg(r)).collect());
            }
            (Some(Op::Activation(at, _)), Side::Cloud) => {
                let outs = outputs
                    .ok_or_else(|| protocol("activation", "the evaluator got no outputs".into()))?;
                let want = self.lane(at)?.z.len();
                if outs.len() != want {
                    return Err(protocol(
                        "activation",
                        format!("{} outputs for {want} activations", outs.len()),
                    ));
                }
                let y: Vec<u64> = outs
                    .iter()
                    .map(|b| circuit::value::from_bits(b) as u64)
                    .collect();
                if let Some(v) = self.view.as_mut() {
                    v.activations.extend(&y);
                }
                self.lane_mut(at)?.a = Some(y);
            }
            (Some(Op::Output), side) => {
                let g = self.group;
                if side == Side::User {
                    let outs = outputs
                        .ok_or_else(|| protocol("output", "the garbler got no pixels".into()))?;
                    let plan = self
                        .output
                        .as_ref()
                        .ok_or_else(|| order("no output plan"))?;
                    plan.place(g, &outs, &mut self.pixels)?;
                }
                self.group += 1;
                return Ok(());
            }
            _ => return Err(order("no garbled batch is running")),
        }
        self.beside_done = false;
        self.pos += 1;
        Ok(())
    }
}

fn recv(op: Op, framing: Framing, phase: &'static str) -> Action {
    Action::Recv(op, Expect { framing, phase })
}

fn fingerprint_word(pk: &PublicKey) -> u64 {
    u64::from_le_bytes(pk.fingerprint())
}

fn first_last(
    share: &ModelShare,
) -> Result<(&super::shares::LayerShare, &super::shares::LayerShare), ProtocolError> {
    match (share.layers.first(), share.layers.last()) {
        (Some(f), Some(l)) => Ok((f, l)),
        _ => Err(protocol("model share", "no layers".into())),
    }
}

/// The state `o` a step needs, or an error naming `what` is missing.
fn need<'b, T>(o: &'b Option<T>, what: &str) -> Result<&'b T, ProtocolError> {
    o.as_ref().ok_or_else(|| order(what))
}

/// A step asked for out of order (a runner's programming error, reported as such).
fn order(what: &str) -> ProtocolError {
    protocol("fast run", format!("step out of order: {what}"))
}

fn unexpected(name: &str) -> ProtocolError {
    protocol("fast run", format!("unexpected {name} at this step"))
}

#[cfg(test)]
#[path = "core_tests.rs"]
mod tests;
