#!/usr/bin/env python3
"""Generates psi.json: the PSI vectors of docs/PROTOCOL.md section 9.

Written from the specification, independently of proto/psi.c: the hashing,
derivations, message layout and matching are Python (hashlib.blake2b); only
the ristretto255 group operations come from the system libsodium, called
through ctypes (crypto_core_ristretto255_from_hash, _scalar_reduce,
crypto_scalarmult_ristretto255). Run: python3 gen.py > psi.json
"""
import ctypes, ctypes.util, hashlib, json, struct, sys

na = ctypes.CDLL(ctypes.util.find_library("sodium") or "libsodium.so.23")
assert na.sodium_init() >= 0


def b2(data, key=b"", n=32):
    return hashlib.blake2b(data, key=key, digest_size=n).digest()


def from_hash(wide):
    out = ctypes.create_string_buffer(32)
    na.crypto_core_ristretto255_from_hash(out, wide)
    return out.raw


def reduce(wide):
    out = ctypes.create_string_buffer(32)
    na.crypto_core_ristretto255_scalar_reduce(out, wide)
    return out.raw


def smul(k, p):
    out = ctypes.create_string_buffer(32)
    assert na.crypto_scalarmult_ristretto255(out, k, p) == 0
    return out.raw


def domain(bind, rid, cat, nfixed, ncustom, tiers):
    shape = struct.pack(">HHHB", cat, nfixed, ncustom, tiers)
    return b2(b"attune-psi-domain-v1" + bind + rid + shape)


def h2g(dom, tier, section, key):
    key = key.encode()
    return from_hash(b2(b"attune-psi-h2g-v1" + bytes([tier, section, len(key)]) + key, dom, 64))


def derive(rnd, label, i, n):
    return b2(label.encode() + struct.pack(">I", i), rnd, n)


def tag(dom, tier, nfixed, slot, pt):
    custom = slot >= nfixed
    hdr = bytes([tier, int(custom)]) + struct.pack(">H", 0xFFFF if custom else slot)
    return b2(b"attune-psi-tag-v1" + hdr + pt, dom, 16)


class Side:
    def __init__(s, role, bind, rid, cat, nfixed, ncustom, tiers, flags, rnd, fixed, custom):
        s.role, s.rid, s.flags, s.rnd = role, rid, flags, rnd
        s.cat, s.nfixed, s.ncustom, s.tiers = cat, nfixed, ncustom, tiers
        s.n = nfixed + ncustom
        s.dom = domain(bind, rid, cat, nfixed, ncustom, tiers)
        s.fixed, s.custom = fixed, custom   # [(key, answer)], answer 0 no 1 maybe 2 yes
        ctr = 0
        while True:
            s.a = reduce(derive(rnd, "scalar", ctr, 64))
            ctr += 1
            if any(s.a):
                break
        s.nonce = derive(rnd, "nonce", 0, 32)
        perm = list(range(ncustom))
        for k in range(ncustom, 1, -1):
            j = int.from_bytes(derive(rnd, "perm", k, 8), "big") % k
            perm[k - 1], perm[j] = perm[j], perm[k - 1]
        s.pos = perm
        s.vec = []
        for t in range(tiers):
            row = [from_hash(derive(rnd, "no-2" if t else "no-1", i, 64)) for i in range(s.n)]
            items = [(i, i, k, a, 0) for i, (k, a) in enumerate(fixed)]
            items += [(nfixed + j, nfixed + perm[j], k, a, 1) for j, (k, a) in enumerate(custom)]
            for _, slot, k, a, sec in items:
                if s.counts(t, a):
                    row[slot] = smul(s.a, h2g(s.dom, t, sec, k))
            s.vec.append(row)
        s.commit = s.commitment(role, flags, s.nonce, s.vec)

    def counts(s, t, a):
        return a == 2 if t == 0 else (s.flags & 1) and a >= 1

    def commitment(s, role, flags, nonce, vec):
        return b2(b"attune-psi-commit-v1" + bytes([role, flags]) + nonce +
                  b"".join(b"".join(r) for r in vec), s.dom)

    def hdr(s, kind):
        return bytes([1, kind]) + s.rid

    def msg_commit(s):
        return s.hdr(1) + bytes([s.flags, s.tiers]) + struct.pack(
            ">HHH", s.cat, s.nfixed, s.ncustom) + s.commit

    def msg_reveal(s):
        return s.hdr(2) + s.nonce + b"".join(b"".join(r) for r in s.vec)

    def take_reveal(s, peer_flags, peer_commit, msg):
        body = msg[18:]
        nonce, pts = body[:32], body[32:]
        vec = [[pts[(t * s.n + i) * 32:(t * s.n + i + 1) * 32] for i in range(s.n)]
               for t in range(s.tiers)]
        assert s.commitment(1 - s.role, peer_flags, nonce, vec) == peer_commit
        s.mine = [[tag(s.dom, t, s.nfixed, i, smul(s.a, vec[t][i])) for i in range(s.n)]
                  for t in range(s.tiers)]
        s.peer_flags = peer_flags

    def msg_exp(s):
        return s.hdr(3) + b"".join(b"".join(r) for r in s.mine)

    def take_exp(s, msg):
        body = msg[18:]
        theirs = [[body[(t * s.n + i) * 16:(t * s.n + i + 1) * 16] for i in range(s.n)]
                  for t in range(s.tiers)]
        res = []
        for t in range(s.tiers):
            on = t == 0 or ((s.flags & 1) and (s.peer_flags & 1))
            fx = [k for i, (k, a) in enumerate(s.fixed)
                  if on and s.counts(t, a) and theirs[t][i] == s.mine[t][i]]
            cu = [k for j, (k, a) in enumerate(s.custom)
                  if on and s.counts(t, a) and theirs[t][s.nfixed + s.pos[j]] in s.mine[t][s.nfixed:]]
            res.append({"fixed": fx, "custom": cu})
        return res


def main():
    bind = b2(b"vector bind: alex and sam")
    rid = bytes(range(1, 17))
    cat, tiers = 1, 2
    keys = ["cuddle", "massage", "kiss", "night-away", "toys", "dance"]
    nfixed, ncustom = len(keys), 4
    alex_ans = dict(cuddle=2, massage=2, kiss=1, toys=1, dance=0)
    sam_ans = dict(cuddle=0, massage=2, kiss=2, toys=1, dance=1)
    a = Side(0, bind, rid, cat, nfixed, ncustom, tiers, 1, bytes([0xA1] * 32),
             [(k, alex_ans.get(k, 0)) for k in keys], [("foot rub", 2), ("read aloud", 2)])
    b = Side(1, bind, rid, cat, nfixed, ncustom, tiers, 1, bytes([0xB2] * 32),
             [(k, sam_ans.get(k, 0)) for k in keys], [("sing", 2), ("foot rub", 2), ("poems", 1)])
    msgs = {"alex_commit": a.msg_commit(), "sam_commit": b.msg_commit(),
            "alex_reveal": a.msg_reveal(), "sam_reveal": b.msg_reveal()}
    a.take_reveal(1, b.commit, msgs["sam_reveal"])
    b.take_reveal(1, a.commit, msgs["alex_reveal"])
    msgs["alex_exp"], msgs["sam_exp"] = a.msg_exp(), b.msg_exp()
    ra, rb = a.take_exp(msgs["sam_exp"]), b.take_exp(msgs["alex_exp"])
    dom = a.dom
    h2g_vec = [{"tier": t, "section": sec, "key": k, "point": h2g(dom, t, sec, k).hex()}
               for t in (0, 1) for sec, k in ((0, "cuddle"), (0, "massage"), (1, "foot rub"))]
    out = {
        "bind": bind.hex(), "round_id": rid.hex(),
        "params": {"catalogue": cat, "nfixed": nfixed, "ncustom": ncustom, "tiers": tiers},
        "domain": dom.hex(), "hash_to_group": h2g_vec,
        "alex": {"role": 0, "flags": 1, "rnd": "a1" * 32,
                 "fixed": [[k, alex_ans.get(k, 0)] for k in keys],
                 "custom": [["foot rub", 2], ["read aloud", 2]],
                 "scalar": a.a.hex(), "result": ra},
        "sam": {"role": 1, "flags": 1, "rnd": "b2" * 32,
                "fixed": [[k, sam_ans.get(k, 0)] for k in keys],
                "custom": [["sing", 2], ["foot rub", 2], ["poems", 1]],
                "scalar": b.a.hex(), "result": rb},
        "messages": {k: v.hex() for k, v in msgs.items()},
    }
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


main()
