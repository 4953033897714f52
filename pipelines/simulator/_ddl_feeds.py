"""DDL of WekezaOpenBanking, WekezaGlobal and the security/risk/identity feeds
(``wekeza-sources/other-systems.md``), all on PostgreSQL.

* OpenBanking ``wekeza_banking`` (``api-server/database/migrate.js``): customers, accounts,
  transactions, payments — locally ``wekeza_openbanking`` (v5 owns ``wekeza_banking`` here).
* WekezaGlobal ``wgi_db`` (``backend/src/database/migrations/001_initial_schema.sql``).
* WekezaSecurityProtocol (Salama) ``salama_security``, schema ``salama_security``
  (``docs/DATABASE_SCHEMA.md``; the real system has no migrations).
* WekezaBank ``transactions_db`` (``infrastructure/init-db.sql``; the code defaults to SQLite).
* identity-intelligence (Supabase Postgres): verification_sessions, verification_documents.
"""

from __future__ import annotations

__all__ = ["GLOBAL_DDL", "IDENTITY_INTEL_DDL", "OPENBANKING_DDL", "SALAMA_DDL", "WEKEZABANK_DDL"]

OPENBANKING_DDL = """
CREATE TABLE customers (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  customer_number varchar(50) UNIQUE NOT NULL,
  first_name varchar(100) NOT NULL,
  last_name varchar(100) NOT NULL,
  email varchar(255) UNIQUE NOT NULL,
  phone varchar(20),
  date_of_birth date,
  kyc_status varchar(20) DEFAULT 'pending',
  created_at timestamp DEFAULT CURRENT_TIMESTAMP,
  updated_at timestamp DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE accounts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_number varchar(50) UNIQUE NOT NULL,
  customer_id uuid REFERENCES customers(id),
  account_type varchar(20) NOT NULL,
  currency varchar(3) DEFAULT 'KES',
  balance decimal(15,2) DEFAULT 0.00,
  available_balance decimal(15,2) DEFAULT 0.00,
  status varchar(20) DEFAULT 'active',
  created_at timestamp DEFAULT CURRENT_TIMESTAMP,
  updated_at timestamp DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE transactions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  transaction_ref varchar(100) UNIQUE NOT NULL,
  account_id uuid REFERENCES accounts(id),
  transaction_type varchar(20) NOT NULL,
  amount decimal(15,2) NOT NULL,
  currency varchar(3) DEFAULT 'KES',
  balance_after decimal(15,2),
  description text,
  status varchar(20) DEFAULT 'completed',
  transaction_date timestamp DEFAULT CURRENT_TIMESTAMP,
  created_at timestamp DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE payments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  payment_ref varchar(100) UNIQUE NOT NULL,
  source_account_id uuid REFERENCES accounts(id),
  destination_account_number varchar(50) NOT NULL,
  amount decimal(15,2) NOT NULL,
  currency varchar(3) DEFAULT 'KES',
  reference varchar(255),
  description text,
  status varchar(20) DEFAULT 'pending',
  risk_score decimal(3,2),
  idempotency_key varchar(255),
  completed_at timestamp,
  created_at timestamp DEFAULT CURRENT_TIMESTAMP,
  updated_at timestamp DEFAULT CURRENT_TIMESTAMP
);
"""

GLOBAL_DDL = """
CREATE TABLE users (
  user_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  full_name varchar(255) NOT NULL,
  email varchar(255) UNIQUE NOT NULL,
  phone_number varchar(20),
  password_hash varchar(255) NOT NULL DEFAULT '',
  kyc_status varchar(20) DEFAULT 'pending' CHECK (kyc_status IN ('pending','verified','rejected')),
  role varchar(20) DEFAULT 'user' CHECK (role IN ('user','admin','compliance','operations','partner')),
  created_at timestamp DEFAULT NOW(),
  updated_at timestamp DEFAULT NOW()
);
CREATE TABLE wallets (
  wallet_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid REFERENCES users(user_id),
  currency varchar(5) NOT NULL CHECK (currency IN ('USD','EUR','GBP','KES')),
  balance decimal(20,4) DEFAULT 0 CHECK (balance >= 0),
  created_at timestamp DEFAULT NOW(),
  updated_at timestamp DEFAULT NOW()
);
CREATE TABLE transactions (
  transaction_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  wallet_id uuid REFERENCES wallets(wallet_id),
  type varchar(20) NOT NULL CHECK (type IN ('deposit','withdrawal','transfer','fx')),
  amount decimal(20,4) NOT NULL,
  currency varchar(5) NOT NULL,
  status varchar(20) DEFAULT 'pending' CHECK (status IN ('pending','completed','failed')),
  metadata jsonb DEFAULT '{}',
  created_at timestamp DEFAULT NOW(),
  updated_at timestamp DEFAULT NOW()
);
CREATE TABLE kyc_documents (
  kyc_document_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid REFERENCES users(user_id),
  doc_type varchar(50) NOT NULL,
  file_url varchar(500),
  status varchar(20) DEFAULT 'pending' CHECK (status IN ('pending','verified','rejected')),
  verified_at timestamp
);
CREATE TABLE aml_alerts (
  aml_alert_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  transaction_id uuid REFERENCES transactions(transaction_id),
  type varchar(50) NOT NULL,
  severity varchar(20) NOT NULL CHECK (severity IN ('low','medium','high')),
  status varchar(20) DEFAULT 'pending' CHECK (status IN ('pending','resolved')),
  created_at timestamp DEFAULT NOW()
);
CREATE TABLE credit_scores (
  credit_score_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid UNIQUE REFERENCES users(user_id),
  score decimal(5,2) DEFAULT 500,
  factors jsonb DEFAULT '{}',
  last_updated timestamp DEFAULT NOW()
);
"""

SALAMA_DDL = """
CREATE SCHEMA salama_security;
CREATE TABLE salama_security.users (
  user_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id varchar(50) UNIQUE NOT NULL,
  account_name varchar(255) NOT NULL,
  account_type varchar(50) NOT NULL DEFAULT 'Savings',
  currency varchar(3) DEFAULT 'KES',
  pin_hash varchar(256) NOT NULL DEFAULT '',
  plain_pin_encrypted varchar(256) NOT NULL DEFAULT '',
  duress_code_hash varchar(256),
  is_in_shadow_mode boolean DEFAULT false,
  shadow_mode_activated_at timestamp,
  created_at timestamp DEFAULT NOW(),
  updated_at timestamp DEFAULT NOW()
);
CREATE TABLE salama_security.sessions (
  session_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES salama_security.users(user_id),
  session_token varchar(512) NOT NULL UNIQUE,
  session_mode varchar(20) NOT NULL DEFAULT 'standard',
  shadow_trigger varchar(50),
  device_id varchar(255),
  ip_address inet,
  user_agent text,
  is_shadow boolean DEFAULT false,
  created_at timestamp DEFAULT NOW(),
  expires_at timestamp NOT NULL DEFAULT NOW() + interval '30 minutes',
  last_activity timestamp DEFAULT NOW()
);
CREATE TABLE salama_security.duress_quarantine (
  quarantine_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  session_id uuid NOT NULL REFERENCES salama_security.sessions(session_id),
  user_id uuid NOT NULL REFERENCES salama_security.users(user_id),
  mock_transaction_id varchar(100) UNIQUE NOT NULL,
  from_account_id varchar(50) NOT NULL,
  to_account_id varchar(50) NOT NULL,
  amount decimal(18,2) NOT NULL,
  currency varchar(3) DEFAULT 'KES',
  transfer_type varchar(50),
  is_duress boolean DEFAULT true,
  device_id varchar(255),
  status varchar(50) DEFAULT 'Quarantined',
  created_at timestamp DEFAULT NOW()
);
CREATE TABLE salama_security.security_alerts (
  alert_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES salama_security.users(user_id),
  session_id uuid REFERENCES salama_security.sessions(session_id),
  alert_type varchar(100) NOT NULL,
  severity varchar(20) NOT NULL,
  description text,
  device_id varchar(255),
  gps_latitude decimal(10,8),
  gps_longitude decimal(11,8),
  behavioral_data jsonb,
  alert_status varchar(50) DEFAULT 'Open',
  created_at timestamp DEFAULT NOW()
);
"""

WEKEZABANK_DDL = """
CREATE TABLE analyst_cases (
  case_id serial PRIMARY KEY,
  transaction_id varchar(50) UNIQUE NOT NULL,
  customer_id varchar(50),
  amount decimal(15,2),
  currency varchar(3) DEFAULT 'KES',
  merchant_name varchar(255),
  transaction_type varchar(50),
  risk_score float,
  risk_level varchar(20) DEFAULT 'LOW',
  status varchar(20) DEFAULT 'ASSIGNED',
  analyst_id varchar(50),
  analyst_comment text,
  flagged_reason text,
  created_at timestamp DEFAULT CURRENT_TIMESTAMP,
  updated_at timestamp DEFAULT CURRENT_TIMESTAMP,
  closed_at timestamp
);
CREATE TABLE transaction_history (
  id serial PRIMARY KEY,
  transaction_id varchar(50) UNIQUE NOT NULL,
  customer_id varchar(50),
  account_number varchar(20),
  amount decimal(15,2),
  currency varchar(3) DEFAULT 'KES',
  transaction_type varchar(50),
  merchant_name varchar(255),
  merchant_category varchar(100),
  location varchar(100),
  channel varchar(50),
  timestamp timestamp DEFAULT CURRENT_TIMESTAMP,
  status varchar(20) DEFAULT 'PENDING'
);
"""

IDENTITY_INTEL_DDL = """
CREATE TABLE verification_sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  customer_name text,
  customer_email text,
  customer_phone text,
  country text DEFAULT 'KE',
  id_type text CHECK (id_type IN ('passport','national_id','drivers_license','voter_id')),
  status text NOT NULL DEFAULT 'pending',
  trust_score integer,
  ai_analysis jsonb,
  device_fingerprint text,
  liveness_challenge jsonb,
  risk_layers jsonb,
  client_ip text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE verification_documents (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  session_id uuid NOT NULL REFERENCES verification_sessions(id) ON DELETE CASCADE,
  doc_type text NOT NULL CHECK (doc_type IN ('id_front','id_back','passport','selfie','liveness')),
  file_path text,
  ocr_data jsonb,
  face_match_score numeric,
  liveness_score numeric,
  created_at timestamptz NOT NULL DEFAULT now()
);
"""
