"""DDL of the source databases, in the shapes documented in ``wekeza-sources/*.md``.

Only the columns the connectors read, plus the ones that make the shape recognisable; the real
systems have more. Every PostgreSQL table gets ``REPLICA IDENTITY FULL`` so deletes and updates
carry the old row through logical decoding (a production prerequisite, see docs/connectors.md).
"""

from __future__ import annotations

__all__ = ["CRM_DDL", "DFS_DDL", "V5_DDL", "replica_identity_full"]

V5_DDL = """
CREATE TABLE "Customers" (
  "Id" uuid PRIMARY KEY,
  "CustomerNumber" varchar(20) UNIQUE NOT NULL,
  "FirstName" varchar(100) NOT NULL,
  "MiddleName" varchar(100),
  "LastName" varchar(100) NOT NULL,
  "Email" varchar(200) UNIQUE,
  "IdentificationNumber" varchar(50) UNIQUE,
  "Status" varchar(20) NOT NULL DEFAULT 'Active',
  "DateOfBirth" timestamp,
  "Gender" varchar(10),
  "Nationality" varchar(50) DEFAULT 'Kenyan',
  "PrimaryPhone" varchar(20),
  "SecondaryPhone" varchar(20),
  "KYCStatus" varchar(20) NOT NULL DEFAULT 'Pending',
  "AMLRiskRating" varchar(20) NOT NULL DEFAULT 'Low',
  "CreatedAt" timestamp NOT NULL DEFAULT now(),
  "UpdatedAt" timestamp
);
CREATE TABLE "Businesses" (
  "Id" uuid PRIMARY KEY,
  "BusinessName" varchar(200) NOT NULL,
  "RegistrationNumber" varchar(50) UNIQUE,
  "Email" varchar(200) UNIQUE,
  "Phone" varchar(20),
  "KraPin" varchar(20),
  "BusinessNumber" varchar(20),
  "Status" varchar(20) NOT NULL DEFAULT 'Active',
  "CreatedAt" timestamp NOT NULL DEFAULT now(),
  "UpdatedAt" timestamp
);
CREATE TABLE "Addresses" (
  "Id" uuid PRIMARY KEY,
  "CustomerId" uuid NOT NULL REFERENCES "Customers"("Id") ON DELETE CASCADE,
  "AddressType" varchar(20),
  "AddressLine1" varchar(200),
  "City" varchar(100),
  "Country" varchar(100),
  "IsPrimary" boolean NOT NULL DEFAULT true,
  "CreatedAt" timestamp NOT NULL DEFAULT now()
);
CREATE TABLE "Accounts" (
  "Id" uuid PRIMARY KEY,
  "AccountNumber" varchar(50) UNIQUE NOT NULL,
  "CustomerId" uuid,
  "BusinessId" uuid,
  "Currency" varchar(3) NOT NULL DEFAULT 'KES',
  "Balance" numeric(18,2) NOT NULL DEFAULT 0,
  "AvailableBalance" numeric(18,2) NOT NULL DEFAULT 0,
  "Status" varchar(20) NOT NULL DEFAULT 'Active',
  "AccountType" varchar(50) NOT NULL DEFAULT 'Savings',
  "IsFrozen" boolean NOT NULL DEFAULT false,
  "IsClosed" boolean NOT NULL DEFAULT false,
  "CreatedAt" timestamp NOT NULL DEFAULT now(),
  "UpdatedAt" timestamp
);
CREATE TABLE "Transactions" (
  "Id" uuid PRIMARY KEY,
  "AccountId" uuid NOT NULL,
  "Type" varchar(20) NOT NULL,
  "Amount" numeric(18,2) NOT NULL,
  "Currency" varchar(3) NOT NULL DEFAULT 'KES',
  "PreviousBalance" numeric(18,2),
  "NewBalance" numeric(18,2),
  "Status" varchar(20) NOT NULL DEFAULT 'Completed',
  "Reference" varchar(50) UNIQUE NOT NULL,
  "Description" varchar(500),
  "RelatedAccountNumber" varchar(50),
  "ProcessedAt" timestamp NOT NULL DEFAULT now(),
  "ProcessedBy" varchar(100)
);
CREATE TABLE "Cards" (
  "Id" uuid PRIMARY KEY,
  "CardNumber" varchar(20) UNIQUE NOT NULL,
  "CustomerId" uuid NOT NULL,
  "AccountId" uuid,
  "CardType" varchar(20) NOT NULL DEFAULT 'Debit',
  "CardHolderName" varchar(200),
  "ExpiryDate" timestamp,
  "Status" varchar(20) NOT NULL DEFAULT 'Active',
  "IssuedAt" timestamp NOT NULL DEFAULT now(),
  "CreatedAt" timestamp NOT NULL DEFAULT now(),
  "UpdatedAt" timestamp
);
CREATE TABLE "POSTransactions" (
  "Id" uuid PRIMARY KEY,
  "CardId" uuid NOT NULL,
  "Reference" varchar(50) UNIQUE NOT NULL,
  "MerchantName" varchar(200),
  "Amount" numeric(18,2) NOT NULL,
  "Status" varchar(20) NOT NULL DEFAULT 'Approved',
  "ProcessedAt" timestamp NOT NULL DEFAULT now()
);
CREATE TABLE "Loans" (
  "Id" uuid PRIMARY KEY,
  "LoanNumber" varchar(50) UNIQUE NOT NULL,
  "CustomerId" uuid NOT NULL,
  "AccountId" uuid,
  "PrincipalAmount" numeric(18,2) NOT NULL,
  "OutstandingBalance" numeric(18,2),
  "Status" varchar(20) NOT NULL DEFAULT 'Pending',
  "RiskGrade" varchar(10),
  "CreditScore" integer,
  "CreatedAt" timestamp NOT NULL DEFAULT now(),
  "UpdatedAt" timestamp
);
"""

#: WekezaCRM (SQL Server in production): the same shape on PostgreSQL for tests and the simulator.
CRM_DDL = """
CREATE TABLE "Customers" (
  "Id" uuid PRIMARY KEY,
  "CustomerReference" varchar(50) UNIQUE NOT NULL,
  "FirstName" varchar(100) NOT NULL,
  "LastName" varchar(100) NOT NULL,
  "Email" varchar(200) UNIQUE,
  "PhoneNumber" varchar(50),
  "DateOfBirth" timestamp,
  "City" varchar(100),
  "Segment" varchar(50),
  "KYCStatus" varchar(20) NOT NULL DEFAULT 'Pending',
  "RiskScore" integer,
  "IsActive" boolean NOT NULL DEFAULT true,
  "CreatedAt" timestamp NOT NULL DEFAULT now(),
  "UpdatedAt" timestamp
);
CREATE TABLE "Interactions" (
  "Id" uuid PRIMARY KEY,
  "CustomerId" uuid NOT NULL,
  "Channel" varchar(30) NOT NULL,
  "Subject" varchar(200),
  "InteractionDate" timestamp NOT NULL DEFAULT now()
);
"""

#: WekezaDFS ``wekeza_dfs_db`` (MySQL/MariaDB).
DFS_DDL = """
CREATE TABLE users (
  user_id int AUTO_INCREMENT PRIMARY KEY,
  full_name varchar(150) NOT NULL,
  email varchar(150) UNIQUE,
  phone_number varchar(20),
  national_id varchar(20) UNIQUE,
  kyc_tier varchar(10) DEFAULT 'TIER_1',
  is_active tinyint(1) DEFAULT 1,
  created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE customers (
  customer_id int AUTO_INCREMENT PRIMARY KEY,
  cif_number varchar(40) UNIQUE,
  full_name varchar(150) NOT NULL,
  national_id varchar(20) UNIQUE,
  phone_number varchar(20),
  email varchar(150),
  date_of_birth date,
  kyc_tier varchar(10) DEFAULT 'TIER_1',
  customer_type varchar(20) DEFAULT 'INDIVIDUAL',
  status varchar(20) DEFAULT 'ACTIVE',
  created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE accounts (
  account_id int AUTO_INCREMENT PRIMARY KEY,
  account_number varchar(30) UNIQUE,
  user_id int,
  business_id int,
  balance decimal(15,2) DEFAULT 0,
  status varchar(20) DEFAULT 'ACTIVE',
  created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE transactions (
  transaction_id int AUTO_INCREMENT PRIMARY KEY,
  account_id int NOT NULL,
  txn_type varchar(30) NOT NULL,
  amount decimal(15,2) NOT NULL,
  reference_code varchar(60),
  created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE risk_scores (
  score_id int AUTO_INCREMENT PRIMARY KEY,
  user_id int NOT NULL,
  credit_score int NOT NULL,
  decision varchar(20),
  created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE agents (
  agent_id varchar(20) PRIMARY KEY,
  agent_name varchar(100) NOT NULL,
  national_id varchar(20) UNIQUE NOT NULL,
  phone_number varchar(15) UNIQUE NOT NULL,
  email varchar(100),
  business_name varchar(100) NOT NULL,
  business_location text,
  agent_type enum('SUPER_AGENT','SUB_AGENT','RETAILER') NOT NULL,
  pin_hash varchar(64) NOT NULL DEFAULT '',
  status enum('PENDING_APPROVAL','ACTIVE','SUSPENDED','TERMINATED') DEFAULT 'PENDING_APPROVAL',
  created_at timestamp DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE agent_devices (
  device_id varchar(50) PRIMARY KEY,
  agent_id varchar(20) NOT NULL,
  device_type enum('POS','MOBILE','TABLET','WEB') NOT NULL,
  device_model varchar(100),
  is_active boolean DEFAULT TRUE,
  registered_at timestamp DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE agency_transactions (
  transaction_id int AUTO_INCREMENT PRIMARY KEY,
  transaction_ref varchar(50) UNIQUE NOT NULL,
  agent_id varchar(20) NOT NULL,
  customer_account varchar(20),
  transaction_type enum('CASH_IN','CASH_OUT','BALANCE_INQUIRY','MINI_STATEMENT','BILL_PAYMENT',
                        'FUND_TRANSFER','ACCOUNT_OPENING') NOT NULL,
  amount decimal(15,2) DEFAULT 0.00,
  fee decimal(10,2) DEFAULT 0.00,
  status enum('PENDING','COMPLETED','FAILED','REVERSED') DEFAULT 'PENDING',
  device_id varchar(50),
  location_lat decimal(10,8),
  location_lng decimal(11,8),
  created_at timestamp DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE agent_auth_logs (
  log_id int AUTO_INCREMENT PRIMARY KEY,
  agent_id varchar(20) NOT NULL,
  device_id varchar(50),
  auth_type enum('PIN','BIOMETRIC','OTP') NOT NULL,
  status enum('SUCCESS','FAILED') NOT NULL,
  session_token varchar(64),
  ip_address varchar(45),
  created_at timestamp DEFAULT CURRENT_TIMESTAMP
);
"""


def replica_identity_full(ddl: str) -> list[str]:
    """``ALTER TABLE … REPLICA IDENTITY FULL`` for every table ``ddl`` creates."""
    names = [line.split()[2] for line in ddl.splitlines() if line.startswith("CREATE TABLE")]
    return [f"ALTER TABLE {name} REPLICA IDENTITY FULL" for name in names]
