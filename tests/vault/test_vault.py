"""Ciphertext format v1, associated-data binding, the key ring's rules and keyed hashes."""

from __future__ import annotations

import os
import struct

import pytest

from cast_gateway.vault import DecryptionError, KeyConfigError, Purpose, Vault
from cast_gateway.vault.vault import MIN_CIPHERTEXT_BYTES

KEY_1 = bytes(range(32))
KEY_2 = bytes(range(32, 64))
KEY_3 = bytes(range(64, 96))
WS = "ws-alpha"
SECRET = "0b9e0f3c-6f1e-4c8e-9a51-2f3b1f2c9d11"
PLAINTEXT = b"sk_live_example_value"


def seal(vault: Vault, plaintext: bytes = PLAINTEXT, **context: str) -> bytes:
    return vault.encrypt(
        plaintext,
        purpose=Purpose(context.get("purpose", "column")),
        workspace_id=context.get("workspace_id", WS),
        secret_id=context.get("secret_id", SECRET),
        field=context.get("field", "value"),
    )


def unseal(vault: Vault, ciphertext: bytes, **context: str) -> bytes:
    return vault.decrypt(
        ciphertext,
        purpose=Purpose(context.get("purpose", "column")),
        workspace_id=context.get("workspace_id", WS),
        secret_id=context.get("secret_id", SECRET),
        field=context.get("field", "value"),
    )


def test_ciphertext_layout_v1() -> None:
    nonce = bytes.fromhex("a1a2a3a4a5a6a7a8a9aaabac")
    vault = Vault({7: KEY_1}, 7, random_bytes=lambda n: nonce[:n])

    ciphertext = seal(vault)

    assert ciphertext[0] == 1
    assert struct.unpack(">I", ciphertext[1:5]) == (7,)
    assert ciphertext[5:17] == nonce
    assert len(ciphertext) == 1 + 4 + 12 + len(PLAINTEXT) + 16
    assert unseal(vault, ciphertext) == PLAINTEXT


def test_round_trip_uses_a_fresh_nonce_each_time() -> None:
    vault = Vault({1: KEY_1}, 1)
    first, second = seal(vault), seal(vault)

    assert first[5:17] != second[5:17]
    assert unseal(vault, first) == unseal(vault, second) == PLAINTEXT


@pytest.mark.parametrize(
    "swap",
    [
        {"workspace_id": "ws-beta"},
        {"secret_id": "7d1f4f8e-0000-4000-8000-000000000000"},
        {"field": "client_secret"},
        {"purpose": "cache"},
        # Length prefixes keep "ws-alph" + "a…" apart from "ws-alpha" + "…".
        {"workspace_id": "ws-alph", "secret_id": "a" + SECRET},
    ],
    ids=["workspace", "secret", "field", "purpose", "boundary-shift"],
)
def test_ciphertext_fails_in_another_context(swap: dict[str, str]) -> None:
    vault = Vault({1: KEY_1}, 1)
    ciphertext = seal(vault)

    with pytest.raises(DecryptionError):
        unseal(vault, ciphertext, **swap)


def test_every_bit_flip_fails() -> None:
    vault = Vault({1: KEY_1}, 1)
    ciphertext = seal(vault)

    for index in range(len(ciphertext)):
        for bit in range(8):
            tampered = bytearray(ciphertext)
            tampered[index] ^= 1 << bit
            with pytest.raises(DecryptionError):
                unseal(vault, bytes(tampered))


def test_every_truncation_fails() -> None:
    vault = Vault({1: KEY_1}, 1)
    ciphertext = seal(vault)

    for length in range(len(ciphertext)):
        with pytest.raises(DecryptionError):
            unseal(vault, ciphertext[:length])
    assert MIN_CIPHERTEXT_BYTES == 33


def test_wrong_version_fails() -> None:
    vault = Vault({1: KEY_1}, 1)
    ciphertext = seal(vault)

    with pytest.raises(DecryptionError):
        unseal(vault, b"\x02" + ciphertext[1:])


def test_decrypts_only_with_the_key_it_names() -> None:
    writer = Vault({1: KEY_1, 2: KEY_2}, 1)
    ciphertext = seal(writer)
    # Relabel the ciphertext as key 2: a vault that tried several keys would still open it.
    relabelled = ciphertext[:1] + struct.pack(">I", 2) + ciphertext[5:]

    with pytest.raises(DecryptionError):
        unseal(writer, relabelled)


def test_unknown_key_id_fails() -> None:
    ciphertext = seal(Vault({3: KEY_3}, 3))

    with pytest.raises(DecryptionError):
        unseal(Vault({1: KEY_1, 2: KEY_2}, 2), ciphertext)


def test_retired_key_refuses_to_decrypt() -> None:
    old = seal(Vault({1: KEY_1}, 1))
    rotated = Vault({1: KEY_1, 2: KEY_2}, 2)
    retired = Vault({1: KEY_1, 2: KEY_2}, 2, min_key_id=2)

    assert unseal(rotated, old) == PLAINTEXT
    with pytest.raises(DecryptionError):
        unseal(retired, old)
    assert unseal(retired, seal(retired)) == PLAINTEXT


def test_decryption_error_names_the_row_and_no_bytes() -> None:
    vault = Vault({1: KEY_1}, 1)
    ciphertext = seal(vault)

    with pytest.raises(DecryptionError) as caught:
        unseal(vault, ciphertext, workspace_id="ws-beta")

    message = str(caught.value)
    assert "ws-beta" in message
    assert SECRET in message
    assert ciphertext.hex() not in message
    assert repr(ciphertext) not in message
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__ is True


def test_rewrap_moves_a_ciphertext_to_the_primary() -> None:
    old = seal(Vault({1: KEY_1}, 1))
    vault = Vault({1: KEY_1, 2: KEY_2}, 2)

    assert vault.needs_rewrap(old)
    rewrapped = vault.rewrap(old, purpose=Purpose.COLUMN, workspace_id=WS, secret_id=SECRET)

    assert Vault.key_id_of(rewrapped) == 2
    assert not vault.needs_rewrap(rewrapped)
    assert unseal(Vault({2: KEY_2}, 2), rewrapped) == PLAINTEXT


def test_purpose_subkeys_differ() -> None:
    vault = Vault({1: KEY_1}, 1)
    column = seal(vault, purpose="column")

    with pytest.raises(DecryptionError):
        unseal(vault, column, purpose="cache")
    assert vault.keyed_hash(Purpose.TOKEN_HASH, b"x") != vault.keyed_hash(Purpose.CLIENT_ID, b"x")


def test_keyed_hash_survives_primary_rotation() -> None:
    before = Vault({1: KEY_1}, 1, hash_key_id=1)
    after = Vault({1: KEY_1, 2: KEY_2}, 2, hash_key_id=1, min_key_id=2)

    for purpose in (Purpose.TOKEN_HASH, Purpose.CLIENT_ID):
        tag = before.keyed_hash(purpose, b"cgw_token")
        assert after.keyed_hash(purpose, b"cgw_token") == tag
        assert after.verify_keyed_hash(purpose, b"cgw_token", tag)
        assert not after.verify_keyed_hash(purpose, b"cgw_token", tag[:-1] + bytes([tag[-1] ^ 1]))


def test_hash_key_defaults_to_the_lowest_id_not_the_primary() -> None:
    assert Vault({1: KEY_1, 2: KEY_2}, 2).hash_key_id == 1


@pytest.mark.parametrize(
    ("keys", "primary", "options", "message"),
    [
        ({}, 1, {}, "no keys"),
        ({1: b"short"}, 1, {}, "32"),
        ({0: KEY_1}, 0, {}, "out of range"),
        ({1: KEY_1}, 2, {}, "primary key id 2"),
        ({1: KEY_1}, 1, {"hash_key_id": 5}, "hash key id 5"),
        ({1: KEY_1, 2: KEY_2}, 1, {"min_key_id": 2}, "min_key_id 2 is above the primary"),
    ],
    ids=["empty", "short-key", "id-zero", "primary-missing", "hash-missing", "floor-above-primary"],
)
def test_invalid_rings_are_rejected(keys: dict[int, bytes], primary: int, options: dict[str, int], message: str) -> None:
    with pytest.raises(KeyConfigError, match=message):
        Vault(keys, primary, **options)


def test_vault_repr_shows_ids_only() -> None:
    vault = Vault({1: KEY_1, 2: KEY_2}, 2)

    assert KEY_1.hex() not in repr(vault) + repr(vault.ring)
    assert repr(KEY_1) not in repr(vault) + repr(vault.ring)
    assert "primary=2" in repr(vault)


def test_one_million_nonces_are_unique() -> None:
    # Nonces come from the real random source; a recording wrapper collects each draw
    # and the ciphertexts are checked to carry exactly the draws, in order.
    draws = bytearray()

    def recording_urandom(length: int) -> bytes:
        value = os.urandom(length)
        draws.extend(value)
        return value

    vault = Vault({1: KEY_1}, 1, random_bytes=recording_urandom)
    encrypt = vault.encrypt
    count = 1_000_000
    for _ in range(count):
        last = encrypt(b"", purpose=Purpose.COLUMN, workspace_id=WS, secret_id=SECRET)

    assert len(draws) == 12 * count
    assert last[5:17] == bytes(draws[-12:])
    nonces = {bytes(draws[offset : offset + 12]) for offset in range(0, len(draws), 12)}
    assert len(nonces) == count
