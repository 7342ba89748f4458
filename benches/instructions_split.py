"""Where a pkjwt or dpop token's instructions go, for benches/instructions.sh --top.

Reads on stdin a dict {function name: inclusive instructions} from a callgrind dump and prints,
per request, the inclusive count of each part below: the functions whose names match its
pattern, summed (the patterns name no function that calls another's, so nothing counts twice).
What a part does not name is "the rest": compare the case's total with RS512's.

    python3 benches/instructions_split.py REQUESTS < dict
"""
import ast
import re
import sys

PARTS = [
    ("DPoP proof check (tokendealer_client::dpop::verify_proof)",
     r"tokendealer_client::dpop::verify_proof$"),
    ("  of it: the signature (jsonwebtoken::crypto::verify)",
     r"jsonwebtoken::crypto::verify$"),
    ("assertion parse (ClientAssertion::parse)",
     r"domain::assertion::parse::ClientAssertion::parse$"),
    ("assertion signature (assertion::verify::check_signature)",
     r"domain::assertion::verify::check_signature$"),
    ("single-use offer, blocking thread (SingleUseTree::offer)",
     r"storage::single_use::SingleUseTree::offer$"),
    ("store flush (sled Tree::flush, the writer's)",
     r"^sled::tree::Tree::flush$|^sled::db::Db::flush$"),
]

n = int(sys.argv[1])
inclusive = ast.literal_eval(sys.stdin.read())
print("  inclusive instructions per request, by part:")
for label, pattern in PARTS:
    names = [name for name in inclusive if name and re.search(pattern, name)]
    total = sum(inclusive[name] for name in names)
    if names:
        print(f"  {total / n:10.0f}  {label}")
