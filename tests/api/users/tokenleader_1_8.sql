-- A tokenleader 1.8 database: the schema exactly as its only migration (3f6c8ac80cdf, run by
-- `adminops initdb`) creates it in SQLite, and rows as its `adminops` writes them, including
-- what its one-link-per-row foreign keys leave behind. Password hashes are Werkzeug 0.16.1's.
PRAGMA foreign_keys=OFF; -- as `sqlite3 .dump` writes it: rows refer to rows that come later
CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL, 
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
CREATE TABLE service_catalog (
	id INTEGER NOT NULL, 
	name VARCHAR(64), 
	password_hash VARCHAR(128), 
	endpoint_url_internal VARCHAR(256), 
	endpoint_url_external VARCHAR(256), 
	endpoint_url_admin VARCHAR(256), 
	PRIMARY KEY (id)
);
CREATE UNIQUE INDEX ix_service_catalog_endpoint_url_admin ON service_catalog (endpoint_url_admin);
CREATE UNIQUE INDEX ix_service_catalog_endpoint_url_external ON service_catalog (endpoint_url_external);
CREATE UNIQUE INDEX ix_service_catalog_endpoint_url_internal ON service_catalog (endpoint_url_internal);
CREATE UNIQUE INDEX ix_service_catalog_name ON service_catalog (name);
CREATE TABLE user (
	id INTEGER NOT NULL, 
	username VARCHAR(64) NOT NULL, 
	email VARCHAR(120), 
	password_hash VARCHAR(128), 
	PRIMARY KEY (id)
);
CREATE UNIQUE INDEX ix_user_email ON user (email);
CREATE UNIQUE INDEX ix_user_username ON user (username);
CREATE TABLE role (
	id INTEGER NOT NULL, 
	rolename VARCHAR(64) NOT NULL, 
	userid INTEGER, 
	PRIMARY KEY (id), 
	FOREIGN KEY(userid) REFERENCES user (id)
);
CREATE UNIQUE INDEX ix_role_rolename ON role (rolename);
CREATE TABLE workfunctioncontext (
	id INTEGER NOT NULL, 
	name VARCHAR(64) NOT NULL, 
	userid INTEGER, 
	PRIMARY KEY (id), 
	FOREIGN KEY(userid) REFERENCES user (id)
);
CREATE UNIQUE INDEX ix_workfunctioncontext_name ON workfunctioncontext (name);
CREATE TABLE department (
	id INTEGER NOT NULL, 
	name VARCHAR(64) NOT NULL, 
	work_func_id INTEGER, 
	PRIMARY KEY (id), 
	FOREIGN KEY(work_func_id) REFERENCES workfunctioncontext (id)
);
CREATE UNIQUE INDEX ix_department_name ON department (name);
CREATE TABLE org_unit (
	id INTEGER NOT NULL, 
	name VARCHAR(64) NOT NULL, 
	work_func_id INTEGER, 
	PRIMARY KEY (id), 
	FOREIGN KEY(work_func_id) REFERENCES workfunctioncontext (id)
);
CREATE UNIQUE INDEX ix_org_unit_name ON org_unit (name);
CREATE TABLE organization (
	id INTEGER NOT NULL, 
	name VARCHAR(64) NOT NULL, 
	orgtype VARCHAR(64), 
	auth_backend VARCHAR(64), 
	work_func_id INTEGER, 
	PRIMARY KEY (id), 
	FOREIGN KEY(work_func_id) REFERENCES workfunctioncontext (id)
);
CREATE UNIQUE INDEX ix_organization_name ON organization (name);
CREATE TABLE roles_n_user_map (
	role_id INTEGER NOT NULL, 
	user_id INTEGER NOT NULL, 
	PRIMARY KEY (role_id, user_id), 
	FOREIGN KEY(role_id) REFERENCES role (id), 
	FOREIGN KEY(user_id) REFERENCES user (id)
);
INSERT INTO alembic_version VALUES('3f6c8ac80cdf');

-- The docs' setup: org1 ou1 dept1, wfc1, role1, user1 (password user1, email "user1").
INSERT INTO organization VALUES(1,'org1','inernal','standard',1);
INSERT INTO org_unit VALUES(1,'ou1',1);
INSERT INTO department VALUES(1,'dept1',1);
INSERT INTO workfunctioncontext VALUES(1,'wfc1',1);
INSERT INTO role VALUES(1,'role1',NULL);
INSERT INTO user VALUES(1,'user1','user1','pbkdf2:sha256:150000$PrG6xQZS$f8033bb50884a12a2edb534466288788d309617c71179d24cfecdccda7dbfa31');
INSERT INTO roles_n_user_map VALUES(1,1);

-- alice (an older Werkzeug's pbkdf2:sha1, "correct horse"), roles role1 and ops, wfc2.
INSERT INTO organization VALUES(2,'org2','inernal','standard',2);
INSERT INTO org_unit VALUES(2,'ou2',2);
INSERT INTO department VALUES(2,'dept2',2);
INSERT INTO role VALUES(2,'ops',NULL);
INSERT INTO user VALUES(2,'alice','alice@acme.example','pbkdf2:sha1:1000$EvlPuwHy$36600b1c19c7b0fd9f9c7655fab27964221b2b73');
INSERT INTO workfunctioncontext VALUES(2,'wfc2',2);
INSERT INTO roles_n_user_map VALUES(1,2);
INSERT INTO roles_n_user_map VALUES(2,2);

-- bob ("secret", HMAC-SHA256) was registered with wfc2 before alice: she took it, he has none.
INSERT INTO user VALUES(3,'bob','bob@acme.example','sha256$yWbdfJjV$026226eaa58e9efe0f51c09fcd0e7b500b4fe36a2a752c62111d4bca2800880b');
INSERT INTO roles_n_user_map VALUES(2,3);

-- carol: "Pässwörd" typed precomposed (NFC), wfc3. wfc0 was registered with org3/ou3/dept3
-- before wfc3 was: wfc3 took them, and wfc0 is left with none.
INSERT INTO user VALUES(4,'carol','carol@acme.example','pbkdf2:sha256:1000$LVINoooh$bcf7c30927f32ab79923b5c95e610416d87b0bbda11f777b11bcfbcf3971f907');
INSERT INTO workfunctioncontext VALUES(3,'wfc0',NULL);
INSERT INTO workfunctioncontext VALUES(4,'wfc3',4);
INSERT INTO organization VALUES(3,'org3','inernal','standard',4);
INSERT INTO org_unit VALUES(3,'ou3',4);
INSERT INTO department VALUES(3,'dept3',4);
INSERT INTO roles_n_user_map VALUES(2,4);

-- A role tokendealer cannot name, and dora who holds it (her wfc5 has lost its parts too).
INSERT INTO role VALUES(3,'role two',NULL);
INSERT INTO user VALUES(5,'dora','dora@acme.example','pbkdf2:sha256:150000$PrG6xQZS$f8033bb50884a12a2edb534466288788d309617c71179d24cfecdccda7dbfa31');
INSERT INTO workfunctioncontext VALUES(5,'wfc5',5);
INSERT INTO roles_n_user_map VALUES(1,5);
INSERT INTO roles_n_user_map VALUES(3,5);

-- The catalog, as the docs register it (`--urlint localhost:5001`), and a fuller entry.
INSERT INTO service_catalog VALUES(1,'tokenleader','pbkdf2:sha256:150000$HIGGMqp7$dce5da8981229f4938189b0d5f62e0d6480ca3beda54eecc6b83216c0f366880','localhost:5001',NULL,NULL);
INSERT INTO service_catalog VALUES(2,'micros1',NULL,'localhost:5002','10.0.0.1:5002','admin.example:5002/admin');
