"""Chromosome-name harmonisation between an input file and the reference FASTA.

UCSC (``chr1``, ``chrX``, ``chrM``), Ensembl (``1``, ``X``, ``MT``), NCBI RefSeq
(``NC_000001.11``) and GenBank (``CM000663.2``, NCBI's GCA_ downloads) spellings of the same
sequence are matched (the accessions of the human GRCh37/GRCh38, human T2T-CHM13v2.0 and mouse
chromosomes, any version), and so are UCSC's names of scaffolds and Ensembl's (``chrUn_KI270302v1``
and ``KI270302.1``). Other assemblies' names meet through the reference's aliases
(``epibench.io.chrom_aliases``: an NCBI FASTA's definition lines, the user's alias table), each
alias's spellings too. An exact name match always wins; a name that matches no
reference sequence, or two of them (a FASTA with both ``chrM`` and ``MT``), maps to None
(the caller drops it and reports it). :func:`harmonisation_table` says, for every name of
every input of a cohort, whether it was kept, renamed or dropped, and why.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

# the mitochondrion: UCSC's chrM, Ensembl's MT, Ensembl's yeast (R64) Mito, SGD's chrmt, WormBase's
# (and Ensembl's C. elegans) MtDNA, FlyBase's (and Ensembl's Drosophila) mitochondrion_genome
_MITO = {"M", "MT", "MITO", "MTDNA", "MITOCHONDRION", "MITOCHONDRION_GENOME"}
# the chloroplast: TAIR's ChrC, Ensembl Plants' Pt, NCBI's assembly-report Pltd
_PLASTID = {"C", "PT", "PLTD", "CHLOROPLAST", "PLASTID"}
# PlasmoDB's (VEuPathDB's) organelles: Pf3D7_MIT_v3, PvP01_API_v1 (the apicoplast, a plastid)
_VEUPATHDB_ORGANELLE = re.compile(r"[A-Za-z0-9]+_(MIT|API)(?:_v\d+)?")
_ACCESSION = re.compile(r"([A-Z]+_?)(\d+)\.\d+")
# UCSC's names of scaffolds (chrUn_KI270302v1, chr1_KI270706v1_random, chr1_KI270762v1_alt,
# hg19's chr1_gl000191_random, mm10's chr1_GL456210_random) and Ensembl's (KI270302.1): the
# GenBank accession, without its version
_UCSC_SCAFFOLD = re.compile(r"chr[^_]+_([A-Za-z]{1,2}\d{6})(?:v\d+)?(?:_random|_alt|_fix)?")
_GENBANK_SCAFFOLD = re.compile(r"([A-Z]{1,2}\d{6})\.\d+")
# NCBI chromosome accessions (prefix + number, without version) -> chromosome; the versions
# differ between assemblies (GRCh37 NC_000001.10 / CM000663.1, GRCh38 .11 / .2), the numbers do not
_ACCESSION_CHROMOSOMES = {
    # RefSeq
    **{("NC_", f"{n:06d}"): str(n) for n in range(1, 23)},  # human 1-22
    ("NC_", "000023"): "X",
    ("NC_", "000024"): "Y",
    ("NC_", "012920"): "MT",  # human mitochondrion (rCRS)
    ("NC_", "001807"): "MT",  # the older human mitochondrion of hg19's chrM
    **{("NC_", f"{66 + n:06d}"): str(n) for n in range(1, 20)},  # mouse 1-19: NC_000067 ... NC_000085
    ("NC_", "000086"): "X",  # mouse X and Y
    ("NC_", "000087"): "Y",
    ("NC_", "005089"): "MT",  # mouse mitochondrion
    **{("NC_", f"{60924 + n:06d}"): str(n) for n in range(1, 23)},  # T2T-CHM13v2.0 1-22: NC_060925 ...
    ("NC_", "060947"): "X",
    ("NC_", "060948"): "Y",
    # GenBank (INSDC)
    **{("CM", f"{662 + n:06d}"): str(n) for n in range(1, 23)},  # human 1-22: CM000663 ... CM000684
    ("CM", "000685"): "X",
    ("CM", "000686"): "Y",
    ("J", "01415"): "MT",  # human mitochondrion (rCRS), J01415.2
    **{("CM", f"{993 + n:06d}"): str(n) for n in range(1, 20)},  # mouse 1-19: CM000994 ... CM001012
    ("CM", "001013"): "X",
    ("CM", "001014"): "Y",
    ("AY", "172335"): "MT",  # mouse mitochondrion
    **{("CP", f"{68278 - n:06d}"): str(n) for n in range(1, 23)},  # T2T-CHM13v2.0 1-22: CP068277 ... CP068256
    ("CP", "068255"): "X",
    ("CP", "086569"): "Y",
    ("CP", "068254"): "MT",
}


def _accession(name: str) -> str | None:
    """The chromosome of a known NCBI RefSeq or GenBank chromosome accession, else None."""
    match = _ACCESSION.fullmatch(name)
    return _ACCESSION_CHROMOSOMES.get((match.group(1), match.group(2))) if match else None


_NUMBER = re.compile(r"[0-9]+")


def _key(name: str) -> str:
    """Spelling-independent key: no ``chr`` prefix, upper case, a number without leading zeros (IRGSP
    rice's ``chr01``, sorghum's and poplar's ``Chr01`` meet MSU's ``Chr1`` and Ensembl's ``1``),
    ``M``/``MT``/``Mito`` all ``MT`` (``C``/``Pt``/``Pltd``, the chloroplast, ``PT``), a known RefSeq
    or GenBank chromosome accession its chromosome (the numbers of these assemblies do not overlap),
    an unplaced, unlocalised or alternative scaffold its GenBank accession without version (UCSC's
    ``chrUn_KI270302v1``, ``chr1_KI270706v1_random``, hg19's ``chr1_gl000191_random`` and
    Ensembl's or GENCODE's ``KI270302.1``, ``GL000191.1`` alike)."""
    chromosome = _accession(name)
    if chromosome is not None:
        return chromosome
    scaffold = _scaffold_accession(name)
    if scaffold is not None:
        return scaffold
    bare = name[3:] if name[:3].lower() == "chr" else name
    bare = bare.upper()
    if _NUMBER.fullmatch(bare):  # a chromosome number written with leading zeros: rice's chr01
        return bare.lstrip("0") or "0"
    return "MT" if bare in _MITO else "PT" if bare in _PLASTID else bare


def _scaffold_accession(name: str) -> str | None:
    """The GenBank accession (upper case, no version) a scaffold's UCSC or GenBank name spells, else None."""
    found = _UCSC_SCAFFOLD.fullmatch(name) or _GENBANK_SCAFFOLD.fullmatch(name)
    return found.group(1).upper() if found else None


def is_mitochondrial(name: str) -> bool:
    """chrM, MT, M and their spellings."""
    return _key(name) == "MT"


_ORGANELLES = {"MT": "mitochondrion", "PT": "plastid"}


def organelles(reference_names: Iterable[str], aliases: Mapping[str, str] | None = None) -> dict[str, str]:
    """The reference's organelle sequences, name -> ``mitochondrion`` or ``plastid``, known by their own
    spelling (chrM, MT, Mito, MtDNA, mitochondrion_genome, a known accession such as NC_012920.1,
    PlasmoDB's Pf3D7_MIT_v3; Pt, ChrC, chloroplast, the apicoplast Pf3D7_API_v3) or by an
    alias's (``aliases``: other name -> reference name; rat's NC_001665.2 through its NCBI definition
    line's ``MT``), in reference order. A bare one-letter name (``C``, ``M``) is not taken for one:
    a test genome's or a nuclear chromosome's letter, unless spelled ``chrC`` / ``chrM``."""
    names = list(reference_names)
    kind = {name: _organelle(name) for name in names}
    for alias, name in (aliases or {}).items():
        if kind.get(name, "") is None:
            kind[name] = _organelle(alias)
    return {name: kind[name] for name in names if kind[name]}


def _organelle(name: str) -> str | None:
    """``mitochondrion`` or ``plastid`` for a name spelling one (:func:`organelles`), else None."""
    if len(name) == 1:
        return None
    veupathdb = _VEUPATHDB_ORGANELLE.fullmatch(name)
    key = {"MIT": "MT", "API": "PT"}[veupathdb.group(1)] if veupathdb else _key(name)
    return _ORGANELLES.get(key)


# Sequences beside a primary assembly that copy part of it or come from elsewhere (GRCh38's analysis
# set with decoys and HLA, hs38DH; hs37d5; Ensembl's patches; bisulfite spike-ins), by name
_NON_PRIMARY = (
    # Ensembl's patch names in capitals only: a "Chr_1" or "chr_01" is some assembly's chromosome
    ("alternate haplotype", re.compile(r"(?i:.+_(alt|fix|hap\d+))|CHR_.+|HSCHR.+")),
    ("HLA allele", re.compile(r"HLA-.+")),
    ("decoy", re.compile(r".+_decoy|hs37d5", re.IGNORECASE)),
    ("virus", re.compile(r"(chr)?EBV|NC_007605(\.\d+)?|phiX.*|NC_001422(\.\d+)?", re.IGNORECASE)),
    (
        "spike-in",
        re.compile(r"lambda.*|J02459(\.\d+)?|NC_001416(\.\d+)?|pUC19|L09137(\.\d+)?", re.IGNORECASE),
    ),
)


def non_primary(reference_names: Iterable[str]) -> dict[str, str]:
    """The reference's sequences that are no part of its primary assembly, name -> what they are:
    alternate haplotypes and patches (``chr6_GL000250v2_alt``, hg19's ``chr6_apd_hap1``, Ensembl's
    ``CHR_HSCHR6_MHC_COX_CTG1``), which copy a stretch of a chromosome; HLA alleles (hs38DH's
    ``HLA-A*01:01:01:01``), copies of chr6's; decoys (``chrUn_JTFH01000001v1_decoy``, ``hs37d5``);
    viruses (``chrEBV``, phiX) and bisulfite spike-ins (lambda phage, pUC19); in reference order.
    Unplaced and unlocalised scaffolds (``chrUn_...``, ``..._random``) are primary: not listed."""
    found = {}
    for name in reference_names:
        kind = next((kind for kind, pattern in _NON_PRIMARY if pattern.fullmatch(name)), None)
        if kind:
            found[name] = kind
    return found


def _candidates(
    names_in_file: Iterable[str], reference_names: Iterable[str], aliases: Mapping[str, str] | None = None
) -> dict[str, list[str]]:
    """Reference names each (distinct) file name could be: itself when exact, the sequence an alias
    names, else the sequences whose spelling (or an alias's spelling) matches."""
    reference = tuple(reference_names)
    exact = set(reference)
    known = {alias: ref for alias, ref in (aliases or {}).items() if ref in exact}
    found = {
        name: [name] if name in exact else [known[name]] if name in known else None
        for name in dict.fromkeys(names_in_file)
    }
    if all(targets is not None for targets in found.values()):
        return found
    by_key = _spelling_index(reference, tuple(known.items()))
    return {
        name: list(by_key.get(_key(name), ())) if targets is None else targets
        for name, targets in found.items()
    }


@functools.lru_cache(maxsize=2)
def _spelling_index(
    reference: tuple[str, ...], known: tuple[tuple[str, str], ...]
) -> dict[str, tuple[str, ...]]:
    """Spelling key (:func:`_key`) -> the reference names it may be, from the names and their aliases;
    built once per reference (a draft assembly has 10^5 scaffolds, its alias table more names)."""
    by_key: dict[str, dict[str, None]] = {}
    for name, ref in [*zip(reference, reference), *known]:
        by_key.setdefault(_key(name), {})[ref] = None
    return {key: tuple(refs) for key, refs in by_key.items()}


def harmonise(
    names_in_file: Iterable[str], reference_names: Iterable[str], aliases: Mapping[str, str] | None = None
) -> dict[str, str | None]:
    """Map each name in the file to its reference sequence name, or None when there is none.

    aliases: other name -> reference name (``Reference.aliases``: the FASTA's definition lines and
    the user's alias table, ``epibench.io.chrom_aliases``); their spellings match too.

    >>> harmonise(["1", "MT", "chrX", "GL000220.1"], ["chr1", "chrX", "chrM"])
    {'1': 'chr1', 'MT': 'chrM', 'chrX': 'chrX', 'GL000220.1': None}
    >>> harmonise(["chr1", "1"], ["NC_051336.1"], {"1": "NC_051336.1"})
    {'chr1': 'NC_051336.1', '1': 'NC_051336.1'}
    """
    return {
        name: found[0] if len(found) == 1 else None  # none, or ambiguous
        for name, found in _candidates(names_in_file, reference_names, aliases).items()
    }


HARMONISATION_COLUMNS = ("input", "name_in_file", "name_in_reference", "action", "reason")


def harmonisation_table(
    reference_names: Iterable[str], inputs: dict[str, Iterable[str]], aliases: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """How each sequence name of each input meets the reference: one row per (input, distinct name).

    reference_names: the FASTA's sequence names. inputs: input label (e.g. ``gtf``,
    ``sample1.methylation``, ``sample1.H3K4me3``) -> the sequence names as spelled in
    that file; rows follow the dict's order, then the names' order. aliases: as :func:`harmonise`.

    Returns DataFrame(input, name_in_file, name_in_reference, action, reason): action is
    ``kept`` (the reference has that very name), ``renamed`` (another spelling of one
    reference sequence: ``chr1``/``1``/``NC_000001.11``/``CM000663.2``, ``chrM``/``MT``/``M``, letter case) or ``dropped``
    (name_in_reference missing; reason ``not in the reference`` or ``ambiguous: ...``
    when the name could be several reference sequences).

    >>> harmonisation_table(["chr1", "chrM"], {"gtf": ["1", "MT", "GL000220.1"]}).action.tolist()
    ['renamed', 'renamed', 'dropped']
    """
    reference = list(reference_names)
    rows = []
    for label, names in inputs.items():
        for name, found in _candidates(names, reference, aliases).items():
            if len(found) == 1:
                target = found[0]
                action = "kept" if target == name else "renamed"
                reason = "same name in the reference" if action == "kept" else _rename_reason(name, target)
            else:
                target, action = None, "dropped"
                reason = (
                    "not in the reference"
                    if not found
                    else f"ambiguous: could be any of {', '.join(found)} in the reference"
                )
            rows.append((label, name, target, action, reason))
    return pd.DataFrame(rows, columns=list(HARMONISATION_COLUMNS)).astype("str")


def _rename_reason(name: str, target: str) -> str:
    """What differs between two spellings of one sequence (an alias when they share no :func:`_key`)."""
    if _key(name) != _key(target):
        return f"alias: {name} names {target} in the reference's chrom_aliases.tsv"
    for accession in (name, target):
        if _accession(accession) is not None:
            kind = "RefSeq" if accession.startswith("NC_") else "GenBank"
            if accession == name:
                return f"{kind} accession {name} -> {target}"
            return f"{name} -> {kind} accession {target}"
    if _scaffold_accession(name) is not None or _scaffold_accession(target) is not None:
        return f"scaffold {name} -> {target} (UCSC's and GenBank's names of one accession)"
    name_prefixed, target_prefixed = name[:3].lower() == "chr", target[:3].lower() == "chr"
    bare_name = name[3:] if name_prefixed else name
    bare_target = target[3:] if target_prefixed else target
    why = []
    if name_prefixed != target_prefixed:
        why.append("'chr' prefix " + ("removed" if name_prefixed else "added"))
    if _NUMBER.fullmatch(bare_name) and bare_name != bare_target:
        why.append(f"leading zeros {bare_name} -> {bare_target}")
    elif bare_name.upper() != bare_target.upper():
        organelle = "mitochondrion" if is_mitochondrial(name) else "chloroplast"
        why.append(f"{organelle} {bare_name} -> {bare_target}")
    elif bare_name != bare_target or (name_prefixed and target_prefixed and name[:3] != target[:3]):
        why.append("letter case")
    return ", ".join(why)


def renamed_and_dropped(
    mapping: dict[str, str | None], counts: dict[str, int]
) -> tuple[dict[str, str], dict[str, int]]:
    """Split a :func:`harmonise` mapping into ``{file name: reference name}`` for names that
    changed and ``{file name: count}`` for names with no reference sequence (counts: rows per file name)."""
    renamed = {name: ref for name, ref in mapping.items() if ref is not None and ref != name}
    dropped = {name: int(counts.get(name, 0)) for name, ref in mapping.items() if ref is None}
    return renamed, dropped


def listed(names: Sequence[str] | Mapping[str, object], n: int = 10) -> str:
    """Up to ``n`` names (of a mapping, ``name: value``), comma-separated, then how many there are in
    all where there are more; ``none`` for none. For log lines and messages about a draft assembly's
    10^4-10^5 sequences, which must not list them all."""
    shown = [
        f"{name}: {names[name]}" if isinstance(names, Mapping) else str(name) for name in list(names)[:n]
    ]
    more = f", ... ({len(names):,} in all)" if len(names) > n else ""
    return ", ".join(shown) + more if shown else "none"


def string_column(codes: np.ndarray, names: Sequence[str]) -> pd.api.extensions.ExtensionArray:
    """(N,) pandas ``str`` array of ``names[codes]``, built in Arrow (no Python string per row)."""
    dictionary = pa.DictionaryArray.from_arrays(
        pa.array(np.asarray(codes, dtype=np.int32)), pa.array(list(names), pa.string())
    )
    return pd.array(dictionary.cast(pa.string()), dtype="str")
