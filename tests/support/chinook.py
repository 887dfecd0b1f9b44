"""A script shaped like the Chinook sample database's SQLite script.

Same constructs as the real one: a long block comment header, DROP/CREATE
TABLE with bracketed identifiers, NOT NULL, PRIMARY KEY, FOREIGN KEY and
indexes, unicode text, quotes doubled inside strings, NULLs, REAL prices,
ISO dates, and about 15,000 single-row INSERTs; plus a view and a trigger.
Generated deterministically so the test data is ours.
"""

from __future__ import annotations

import random

HEADER = """
/*******************************************************************************
   Chinook-shaped Database - Version 1.0
   Script: chinook_like.sql
   Description: Creates and populates a music store database.
   DB Server: Sqlite
   Notes: generated for dqlite-shell's tests; a -- dash and a ; inside a comment
********************************************************************************/

/*******************************************************************************
   Drop Tables
********************************************************************************/
DROP TABLE IF EXISTS [InvoiceLine];
DROP TABLE IF EXISTS [Invoice];
DROP TABLE IF EXISTS [Track];
DROP TABLE IF EXISTS [Album];
DROP TABLE IF EXISTS [Artist];
DROP TABLE IF EXISTS [Customer];

/*******************************************************************************
   Create Tables
********************************************************************************/
CREATE TABLE [Artist]
(
    [ArtistId] INTEGER  NOT NULL,
    [Name] NVARCHAR(120),
    CONSTRAINT [PK_Artist] PRIMARY KEY  ([ArtistId])
);

CREATE TABLE [Album]
(
    [AlbumId] INTEGER  NOT NULL,
    [Title] NVARCHAR(160)  NOT NULL,
    [ArtistId] INTEGER  NOT NULL,
    CONSTRAINT [PK_Album] PRIMARY KEY  ([AlbumId]),
    FOREIGN KEY ([ArtistId]) REFERENCES [Artist] ([ArtistId])
\t\tON DELETE NO ACTION ON UPDATE NO ACTION
);

CREATE TABLE [Track]
(
    [TrackId] INTEGER  NOT NULL,
    [Name] NVARCHAR(200)  NOT NULL,
    [AlbumId] INTEGER,
    [Composer] NVARCHAR(220),
    [Milliseconds] INTEGER  NOT NULL,
    [Bytes] INTEGER,
    [UnitPrice] NUMERIC(10,2)  NOT NULL,
    CONSTRAINT [PK_Track] PRIMARY KEY  ([TrackId]),
    FOREIGN KEY ([AlbumId]) REFERENCES [Album] ([AlbumId])
\t\tON DELETE NO ACTION ON UPDATE NO ACTION
);

CREATE TABLE [Customer]
(
    [CustomerId] INTEGER  NOT NULL,
    [FirstName] NVARCHAR(40)  NOT NULL,
    [LastName] NVARCHAR(20)  NOT NULL,
    [Email] NVARCHAR(60)  NOT NULL,
    CONSTRAINT [PK_Customer] PRIMARY KEY  ([CustomerId])
);

CREATE TABLE [Invoice]
(
    [InvoiceId] INTEGER  NOT NULL,
    [CustomerId] INTEGER  NOT NULL,
    [InvoiceDate] DATETIME  NOT NULL,
    [BillingCountry] NVARCHAR(40),
    [Total] NUMERIC(10,2)  NOT NULL,
    CONSTRAINT [PK_Invoice] PRIMARY KEY  ([InvoiceId]),
    FOREIGN KEY ([CustomerId]) REFERENCES [Customer] ([CustomerId])
\t\tON DELETE NO ACTION ON UPDATE NO ACTION
);

CREATE TABLE [InvoiceLine]
(
    [InvoiceLineId] INTEGER  NOT NULL,
    [InvoiceId] INTEGER  NOT NULL,
    [TrackId] INTEGER  NOT NULL,
    [UnitPrice] NUMERIC(10,2)  NOT NULL,
    [Quantity] INTEGER  NOT NULL,
    CONSTRAINT [PK_InvoiceLine] PRIMARY KEY  ([InvoiceLineId]),
    FOREIGN KEY ([InvoiceId]) REFERENCES [Invoice] ([InvoiceId])
\t\tON DELETE NO ACTION ON UPDATE NO ACTION,
    FOREIGN KEY ([TrackId]) REFERENCES [Track] ([TrackId])
\t\tON DELETE NO ACTION ON UPDATE NO ACTION
);

/*******************************************************************************
   Create Foreign Keys
********************************************************************************/
CREATE INDEX [IFK_AlbumArtistId] ON [Album] ([ArtistId]);
CREATE INDEX [IFK_TrackAlbumId] ON [Track] ([AlbumId]);
CREATE INDEX [IFK_InvoiceCustomerId] ON [Invoice] ([CustomerId]);
CREATE INDEX [IFK_InvoiceLineInvoiceId] ON [InvoiceLine] ([InvoiceId]);

CREATE VIEW [AlbumTracks] AS
    SELECT a.[Title], count(*) AS [Tracks] FROM [Album] a JOIN [Track] t USING ([AlbumId])
    GROUP BY a.[AlbumId];

CREATE TRIGGER [InvoiceTotal] AFTER INSERT ON [InvoiceLine]
BEGIN
    UPDATE [Invoice] SET [Total] = [Total] + NEW.[UnitPrice] * NEW.[Quantity]
        WHERE [InvoiceId] = NEW.[InvoiceId];
END;

/*******************************************************************************
   Populate Tables
********************************************************************************/
"""

WORDS = ["Rock", "Jazz", "Blues", "Für Elise", "Ça va", "Señor", "Smörgåsbord", "東京",
         "Café", "Ñandú", "Łódź", "Ελλάδα", "Москва", "O'Brien", "Rock 'n' Roll", "naïve",
         "🎸 Guitar", "Zoë", "Dvořák", "Sigur Rós", "mañana", "Björk", "Mötley Crüe", "AC/DC",
         "semi;colon", "--not a comment", "/* not a comment */", 'quote "double"']
COUNTRIES = ["Brazil", "Deutschland", "España", "France", "日本", "Norge", None, "USA"]


def _q(text: str | None) -> str:
    return "NULL" if text is None else "'" + text.replace("'", "''") + "'"


def make_script(inserts: int = 15_000, seed: int = 1) -> str:
    """The script text; about ``inserts`` INSERT statements in all."""
    rnd = random.Random(seed)
    lines = [HEADER]
    artists = max(5, inserts // 60)
    albums = max(10, inserts // 30)
    customers = max(5, inserts // 250)
    invoices = max(10, inserts // 40)
    tracks = max(20, (inserts - artists - albums - customers - invoices) * 2 // 3)
    lines_count = max(10, inserts - artists - albums - customers - invoices - tracks)

    def name(n):
        return " ".join(rnd.choice(WORDS) for _ in range(n))

    for i in range(1, artists + 1):
        lines.append(f"INSERT INTO [Artist] ([ArtistId], [Name]) VALUES ({i}, {_q(name(2))});")
    for i in range(1, albums + 1):
        lines.append(f"INSERT INTO [Album] ([AlbumId], [Title], [ArtistId]) VALUES "
                     f"({i}, {_q(name(3))}, {rnd.randint(1, artists)});")
    for i in range(1, tracks + 1):
        composer = None if rnd.random() < 0.25 else name(2)
        price = rnd.choice(["0.99", "1.99", "0.49"])
        lines.append(f"INSERT INTO [Track] ([TrackId], [Name], [AlbumId], [Composer], "
                     f"[Milliseconds], [Bytes], [UnitPrice]) VALUES ({i}, {_q(name(3))}, "
                     f"{rnd.randint(1, albums)}, {_q(composer)}, {rnd.randint(1000, 900000)}, "
                     f"{rnd.randint(10**5, 10**9) if rnd.random() > 0.1 else 'NULL'}, {price});")
    for i in range(1, customers + 1):
        lines.append(f"INSERT INTO [Customer] ([CustomerId], [FirstName], [LastName], [Email]) "
                     f"VALUES ({i}, {_q(name(1))}, {_q(name(1))}, 'c{i}@example.com');")
    for i in range(1, invoices + 1):
        lines.append(f"INSERT INTO [Invoice] ([InvoiceId], [CustomerId], [InvoiceDate], "
                     f"[BillingCountry], [Total]) VALUES ({i}, {rnd.randint(1, customers)}, "
                     f"'20{rnd.randint(10, 24)}-0{rnd.randint(1, 9)}-1{rnd.randint(0, 9)} "
                     f"00:00:00', {_q(rnd.choice(COUNTRIES))}, 0);")
    for i in range(1, lines_count + 1):
        lines.append(f"INSERT INTO [InvoiceLine] ([InvoiceLineId], [InvoiceId], [TrackId], "
                     f"[UnitPrice], [Quantity]) VALUES ({i}, {rnd.randint(1, invoices)}, "
                     f"{rnd.randint(1, tracks)}, {rnd.choice(['0.99', '1.99'])}, "
                     f"{rnd.randint(1, 3)});")
    lines.append("")
    return "\n".join(lines)


TABLES = ["Artist", "Album", "Track", "Customer", "Invoice", "InvoiceLine"]
