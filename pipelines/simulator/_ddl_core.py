"""DDL of v1-Core ``WekezaCoreDB`` in its two schema shapes (``wekeza-sources/core-banking.md``).

* :data:`V1_SQL_DDL` — the SQL seeds + full DDL (``scripts/database/full-schema-ddl.sql``): Users,
  Customers (with UserId), Accounts (Balance, BranchCode), Transactions (TransactionReference,
  TransactionType, CreatedAt/ProcessedAt), Loans (no credit score), Cards (by AccountId).
* :data:`V1_EF_DDL` — the EF migrations: Customers without UpdatedAt, Parties (the CIF, int enums,
  jsonb Identifications), Accounts with Balance_Amount/Balance_Currency and an int Status,
  Transactions with CorrelationId, Amount_Amount/Amount_Currency, an int Type and Timestamp, the
  rich Loans (CustomerId → Parties, CreditScore, RiskGrade), Cards (AccountId, IsCancelled).

Only the columns the connectors read plus those that make each shape recognisable.
"""

from __future__ import annotations

__all__ = ["V1_EF_DDL", "V1_SQL_DDL"]

V1_SQL_DDL = """
CREATE TABLE "Users" (
  "Id" uuid PRIMARY KEY,
  "Username" varchar(100) UNIQUE NOT NULL,
  "Email" varchar(200) UNIQUE NOT NULL,
  "PasswordHash" varchar(200) NOT NULL DEFAULT '',
  "FullName" varchar(200),
  "Role" varchar(50) NOT NULL DEFAULT 'Customer',
  "IsActive" boolean NOT NULL DEFAULT true,
  "LastLoginAt" timestamp,
  "PhoneNumber" varchar(20),
  "CreatedAt" timestamp NOT NULL DEFAULT now(),
  "UpdatedAt" timestamp
);
CREATE TABLE "Customers" (
  "Id" uuid PRIMARY KEY,
  "FirstName" varchar(100) NOT NULL,
  "LastName" varchar(100) NOT NULL,
  "Email" varchar(200) UNIQUE,
  "PhoneNumber" varchar(20),
  "IdentificationNumber" varchar(50) UNIQUE,
  "RiskRating" integer NOT NULL DEFAULT 0,
  "IsActive" boolean NOT NULL DEFAULT true,
  "UserId" uuid,
  "CreatedAt" timestamp NOT NULL DEFAULT now(),
  "UpdatedAt" timestamp
);
CREATE TABLE "Accounts" (
  "Id" uuid PRIMARY KEY,
  "AccountNumber" varchar(20) UNIQUE NOT NULL,
  "CustomerId" uuid NOT NULL,
  "AccountType" varchar(50) NOT NULL DEFAULT 'Savings',
  "Currency" varchar(3) NOT NULL DEFAULT 'KES',
  "Balance" numeric(18,2) NOT NULL DEFAULT 0,
  "AvailableBalance" numeric(18,2) NOT NULL DEFAULT 0,
  "Status" varchar(20) NOT NULL DEFAULT 'Active',
  "BranchCode" varchar(20),
  "OpenedDate" timestamptz,
  "ClosedDate" timestamptz,
  "CreatedAt" timestamptz NOT NULL DEFAULT now(),
  "UpdatedAt" timestamptz
);
CREATE TABLE "Transactions" (
  "Id" uuid PRIMARY KEY,
  "TransactionReference" varchar(100) UNIQUE NOT NULL,
  "AccountId" uuid NOT NULL,
  "TransactionType" varchar(50) NOT NULL,
  "Amount" numeric(18,2) NOT NULL,
  "Currency" varchar(3) NOT NULL DEFAULT 'KES',
  "Status" varchar(20) NOT NULL DEFAULT 'Completed',
  "Description" varchar(500),
  "BalanceAfter" numeric(18,2),
  "CreatedAt" timestamp NOT NULL DEFAULT now(),
  "ProcessedAt" timestamp
);
CREATE TABLE "Loans" (
  "Id" uuid PRIMARY KEY,
  "LoanNumber" varchar(50) UNIQUE NOT NULL,
  "CustomerId" uuid NOT NULL,
  "PrincipalAmount" numeric(18,2) NOT NULL,
  "OutstandingBalance" numeric(18,2),
  "InterestRate" numeric(5,2),
  "LoanType" varchar(50),
  "Status" varchar(20) NOT NULL DEFAULT 'Pending',
  "CreatedAt" timestamp NOT NULL DEFAULT now(),
  "UpdatedAt" timestamp
);
CREATE TABLE "Cards" (
  "Id" uuid PRIMARY KEY,
  "CardNumber" varchar(20) UNIQUE NOT NULL,
  "AccountId" uuid NOT NULL,
  "CardType" varchar(20) NOT NULL DEFAULT 'Debit',
  "Status" varchar(20) NOT NULL DEFAULT 'Active',
  "ExpiryDate" timestamp,
  "IsVirtual" boolean NOT NULL DEFAULT false,
  "CreatedAt" timestamp NOT NULL DEFAULT now(),
  "UpdatedAt" timestamp
);
"""

V1_EF_DDL = """
CREATE TABLE "__EFMigrationsHistory" (
  "MigrationId" varchar(150) PRIMARY KEY,
  "ProductVersion" varchar(32) NOT NULL
);
INSERT INTO "__EFMigrationsHistory" VALUES ('20260117000001_InitialCreate', '8.0.0'),
  ('20260117120000_AddPartyTable', '8.0.0'),
  ('20260117160000_EnhanceAccountWithProductIntegration', '8.0.0'),
  ('20260117170000_EnhanceLoanManagement', '8.0.0');
CREATE TABLE "Customers" (
  "Id" uuid PRIMARY KEY,
  "FirstName" varchar(100) NOT NULL,
  "LastName" varchar(100) NOT NULL,
  "Email" varchar(255),
  "PhoneNumber" varchar(20),
  "IdentificationNumber" varchar(50) UNIQUE,
  "RiskRating" integer NOT NULL DEFAULT 1,
  "IsActive" boolean NOT NULL DEFAULT true,
  "CreatedAt" timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE "Parties" (
  "Id" uuid PRIMARY KEY,
  "PartyNumber" varchar(50) UNIQUE NOT NULL,
  "PartyType" integer NOT NULL DEFAULT 0,
  "Status" integer NOT NULL DEFAULT 0,
  "FirstName" varchar(100),
  "MiddleName" varchar(100),
  "LastName" varchar(100),
  "DateOfBirth" timestamptz,
  "Gender" integer,
  "Nationality" varchar(50),
  "CompanyName" varchar(200),
  "RegistrationNumber" varchar(50),
  "PrimaryEmail" varchar(200),
  "PrimaryPhone" varchar(20),
  "SecondaryPhone" varchar(20),
  "Addresses" jsonb NOT NULL DEFAULT '[]',
  "Identifications" jsonb NOT NULL DEFAULT '[]',
  "Relationships" jsonb NOT NULL DEFAULT '[]',
  "KYCStatus" integer NOT NULL DEFAULT 0,
  "RiskRating" integer NOT NULL DEFAULT 0,
  "Segment" integer NOT NULL DEFAULT 0,
  "IsPEP" boolean NOT NULL DEFAULT false,
  "IsSanctioned" boolean NOT NULL DEFAULT false,
  "CreatedDate" timestamptz NOT NULL DEFAULT now(),
  "LastModifiedDate" timestamptz,
  "CreatedBy" varchar(100),
  "LastModifiedBy" varchar(100)
);
CREATE TABLE "Accounts" (
  "Id" uuid PRIMARY KEY,
  "AccountNumber" varchar(20) UNIQUE NOT NULL,
  "CustomerId" uuid NOT NULL,
  "Balance_Amount" numeric(18,2) NOT NULL DEFAULT 0,
  "Balance_Currency" varchar(3) NOT NULL DEFAULT 'KES',
  "OverdraftLimit_Amount" numeric(18,2) NOT NULL DEFAULT 0,
  "OverdraftLimit_Currency" varchar(3) NOT NULL DEFAULT 'KES',
  "ProductId" uuid,
  "Status" integer NOT NULL DEFAULT 1,
  "OpenedDate" timestamptz,
  "ClosedDate" timestamptz,
  "CreatedAt" timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE "Transactions" (
  "Id" uuid PRIMARY KEY,
  "CorrelationId" uuid NOT NULL,
  "AccountId" uuid NOT NULL,
  "Amount_Amount" numeric(18,2) NOT NULL,
  "Amount_Currency" varchar(3) NOT NULL DEFAULT 'KES',
  "Type" integer NOT NULL,
  "Description" varchar(500),
  "Timestamp" timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE "Loans" (
  "Id" uuid PRIMARY KEY,
  "LoanNumber" varchar(50) UNIQUE NOT NULL,
  "CustomerId" uuid NOT NULL REFERENCES "Parties"("Id"),
  "ProductId" uuid,
  "Principal_Amount" numeric(18,2) NOT NULL,
  "Principal_Currency" varchar(3) NOT NULL DEFAULT 'KES',
  "Status" integer NOT NULL DEFAULT 0,
  "CreditScore" integer,
  "RiskGrade" varchar(10),
  "DaysPastDue" integer NOT NULL DEFAULT 0,
  "Guarantors" jsonb NOT NULL DEFAULT '[]',
  "CreatedDate" timestamptz NOT NULL DEFAULT now(),
  "LastModifiedDate" timestamptz
);
CREATE TABLE "Cards" (
  "Id" uuid PRIMARY KEY,
  "AccountId" uuid NOT NULL,
  "CardNumber" varchar(16) UNIQUE NOT NULL,
  "CardType" varchar(20) NOT NULL DEFAULT 'Debit',
  "NameOnCard" varchar(200),
  "ExpiryDate" timestamptz,
  "IsCancelled" boolean NOT NULL DEFAULT false,
  "CreatedAt" timestamptz NOT NULL DEFAULT now()
);
"""
