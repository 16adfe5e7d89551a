"""Build benign provenance fixtures with the real libraries: C2PA manifests signed by
c2pa-python with a throwaway certificate chain, generator metadata written with
Pillow and piexif, XMP packets, NovelAI-style Ed25519 signatures.

Every prompt used with these builders in tutela's tests is a benign scenery or
object description.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image, PngImagePlugin

from tutela.provenance.novelai_signature import signed_message

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
BENIGN_PROMPT = "a lighthouse on a cliff at sunset, dramatic clouds"
BENIGN_NEGATIVE = "blurry, low quality"


# -- C2PA ------------------------------------------------------------------------


@dataclass
class SigningChain:
    key: ec.EllipticCurvePrivateKey
    certs_pem: str
    root_pem: str


def _name(common: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "tutela test fixtures"),
        ]
    )


def signing_chain(valid_for: dt.timedelta = dt.timedelta(days=30)) -> SigningChain:
    """A throwaway EC P-256 root and a signing leaf (EKU emailProtection) valid from now."""
    now = dt.datetime.now(dt.UTC)
    root_key = ec.generate_private_key(ec.SECP256R1())
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    root = (
        x509.CertificateBuilder()
        .subject_name(_name("tutela test root"))
        .issuer_name(_name("tutela test root"))
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(root_key, hashes.SHA256())
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name("tutela test signer"))
        .issuer_name(root.subject)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + valid_for)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), False)
        .sign(root_key, hashes.SHA256())
    )

    def pem(cert: x509.Certificate) -> str:
        return cert.public_bytes(serialization.Encoding.PEM).decode()

    return SigningChain(leaf_key, pem(leaf) + pem(root), pem(root))


def manifest(
    action: str = "c2pa.created",
    source_type: str | None = "trainedAlgorithmicMedia",
    agent: str = "Test Generator",
    title: str = "lighthouse.jpg",
    ingredient_id: str | None = None,
) -> dict[str, Any]:
    entry: dict[str, Any] = {"action": action, "softwareAgent": {"name": agent, "version": "1.0"}}
    if ingredient_id:
        entry["parameters"] = {"ingredientIds": [ingredient_id]}
    if source_type:
        entry["digitalSourceType"] = IPTC + source_type
    return {
        "claim_generator_info": [{"name": "tutela-fixtures", "version": "1"}],
        "title": title,
        "assertions": [{"label": "c2pa.actions", "data": {"actions": [entry]}}],
    }


def sign_c2pa(
    image: bytes,
    mime: str,
    chain: SigningChain,
    definition: dict[str, Any],
    ingredient: tuple[bytes, str] | None = None,
) -> bytes:
    """Embed and sign a manifest with c2pa-python's Builder (offline, no timestamp)."""
    import c2pa

    def sign(data: bytes) -> bytes:
        return chain.key.sign(data, ec.ECDSA(hashes.SHA256()))

    signer = c2pa.Signer.from_callback(sign, c2pa.C2paSigningAlg.ES256, chain.certs_pem, None)
    context = c2pa.Context.from_dict(
        {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}
    )
    builder = c2pa.Builder(definition, context=context)
    if ingredient is not None:
        data, ingredient_mime = ingredient
        builder.add_ingredient(
            {"title": "ingredient", "relationship": "parentOf", "label": "ingredient-1"},
            ingredient_mime,
            io.BytesIO(data),
        )
    out = io.BytesIO()
    builder.sign(signer, mime, io.BytesIO(image), out)
    return out.getvalue()


# -- containers --------------------------------------------------------------------


def png_with_text(image: Image.Image, text: dict[str, str], itxt: bool = False) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in text.items():
        if itxt:
            info.add_itxt(key, value)
        else:
            info.add_text(key, value)
    buf = io.BytesIO()
    image.save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def with_exif(
    image: Image.Image,
    fmt: str = "JPEG",
    ifd0: dict[int, Any] | None = None,
    user_comment: str | None = None,
    comment_encoding: str = "unicode",
) -> bytes:
    """Write EXIF with piexif (IFD0 tags and an Exif UserComment), then save as ``fmt``."""
    import piexif
    import piexif.helper

    exif: dict[str, Any] = {"0th": dict(ifd0 or {}), "Exif": {}}
    if user_comment is not None:
        exif["Exif"][piexif.ExifIFD.UserComment] = piexif.helper.UserComment.dump(
            user_comment, encoding=comment_encoding
        )
    buf = io.BytesIO()
    image.save(buf, fmt, exif=piexif.dump(exif), quality=95)
    return buf.getvalue()


def xmp_packet(properties: str, namespaces: dict[str, str] | None = None) -> str:
    ns = {
        "Iptc4xmpExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
        "xmp": "http://ns.adobe.com/xap/1.0/",
        "dc": "http://purl.org/dc/elements/1.1/",
        "exif": "http://ns.adobe.com/exif/1.0/",
        **(namespaces or {}),
    }
    declared = " ".join(f'xmlns:{k}="{v}"' for k, v in ns.items())
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description rdf:about="" {declared}>{properties}</rdf:Description>'
        '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    )


def jpeg_with_xmp(image: Image.Image, packet: str) -> bytes:
    buf = io.BytesIO()
    image.convert("RGB").save(buf, "JPEG", xmp=packet.encode(), quality=95)
    return buf.getvalue()


# -- NovelAI -----------------------------------------------------------------------


def novelai_comment(seed: int = 1234) -> dict[str, Any]:
    return {
        "prompt": BENIGN_PROMPT,
        "steps": 28,
        "height": 512,
        "width": 512,
        "scale": 5.0,
        "uncond_scale": 1.0,
        "cfg_rescale": 0.0,
        "seed": seed,
        "n_samples": 1,
        "noise_schedule": "native",
        "sampler": "k_euler_ancestral",
        "uc": BENIGN_NEGATIVE,
    }


def novelai_signed(
    rgba: np.ndarray, key: Ed25519PrivateKey, seed: int = 1234
) -> tuple[dict[str, str], dict[str, Any]]:
    """The five NovelAI text fields with a Comment signed the way NovelAI signs it."""
    comment = novelai_comment(seed)
    comment["signed_hash"] = base64.b64encode(key.sign(signed_message(rgba, comment))).decode()
    fields = {
        "Title": "AI generated image",
        "Description": BENIGN_PROMPT,
        "Software": "NovelAI",
        "Source": "NovelAI Diffusion V4.5 4BDE2A90",
        "Generation time": "3.1",
        "Comment": json.dumps(comment),
    }
    return fields, comment


def public_key_b64(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()
