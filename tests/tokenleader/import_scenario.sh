# adminops commands for tests/tokenleader/import_ci.sh, sourced by tl_adminops.sh inside its
# private mount namespace. They build the database the way a team would have with tokenleader 1.8.

# tokenleader 1.8's README setup, verbatim (user1/user1, an email that is not an address, a
# catalog URL without a scheme): what tokenleaderclient 0.9's own tests log in with.
adminops initdb
adminops add org -n org1
adminops add ou -n ou1
adminops add dept -n dept1
adminops addwfc -n wfc1 --wfcorg org1 --wfcou ou1 --wfcdept dept1
adminops list wfc -n wfc1
adminops add role -n role1
adminops adduser -n user1 --password user1 --emailid user1 --rolenames role1 --wfc wfc1
adminops addservice -n tokenleader --password tokenleader --urlint localhost:5001

# A team's directory, and what tokenleader's one-link-per-row foreign keys did to it.
adminops add org -n acme
adminops add ou -n eng
adminops add dept -n platform
adminops add role -n ops
# old-wfc is registered with acme/eng/platform first: acme-eng takes them from it.
adminops addwfc -n old-wfc --wfcorg acme --wfcou eng --wfcdept platform
adminops addwfc -n acme-eng --wfcorg acme --wfcou eng --wfcdept platform
# bob is given acme-eng first: alice, registered with it next, takes it from him.
adminops adduser -n bob --password 'bob secret 1' --emailid bob@acme.test --rolenames ops --wfc acme-eng
adminops adduser -n alice --password 'alice secret 1' --emailid alice@acme.test --rolenames ops,role1 --wfc acme-eng
# carol's password has non-ASCII letters, typed precomposed (NFC).
adminops add org -n globex
adminops add ou -n globex-ou
adminops add dept -n globex-dept
adminops addwfc -n globex-ops --wfcorg globex --wfcou globex-ou --wfcdept globex-dept
adminops adduser -n carol --password $'P\u00e4ssw\u00f6rd 1' --emailid carol@globex.test --rolenames ops --wfc globex-ops
# The catalog: relative URLs as tokenleader's docs write them, and a name tokendealer refuses.
adminops addservice -n micros1 --urlint localhost:5002 --urlext micros1.example.com:5002/api --urladmin 10.0.0.5:5003
adminops addservice -n 'billing svc' --urlint localhost:5004
