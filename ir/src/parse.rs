//! SQL text to `sqlparser` AST, in the PostgreSQL dialect.
//!
//! Two adjustments to plain `Parser::parse_sql`:
//! - `?` placeholders (JDBC/ODBC style) are accepted: the PostgreSQL tokenizer reads a lone `?`
//!   as a JSON operator, so [`parse`] rewrites each such token to `$n`, numbering them left to
//!   right within each statement. `$n` placeholders pass through unchanged.
//! - Errors become [`Error::Parse`] with a 1-based line/column; an error at the end of the
//!   input points just past its last character.

use sqlparser::ast::Statement as AstStatement;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, Tokenizer};

use crate::error::{Error, Location, Result};

/// Parses one or more `;`-separated SQL statements.
///
/// # Errors
/// [`Error::Parse`] naming what was expected and found, with the line and column.
pub fn parse(sql: &str) -> Result<Vec<AstStatement>> {
    let dialect = PostgreSqlDialect {};
    let mut tokens = Tokenizer::new(&dialect, sql)
        .tokenize_with_location()
        .map_err(|e| parse_error(sql, &e.to_string()))?;
    let mut next_param = 1usize;
    // Operators per parenthesis level: sqlparser builds `a + b + c ...` as a left-deep tree
    // without a recursion check, and such a tree is dropped recursively, so a chain of many
    // thousands of operators must be refused before it is built.
    let mut chain: Vec<usize> = vec![0];
    for t in &mut tokens {
        match &t.token {
            Token::Question => {
                t.token = Token::Placeholder(format!("${next_param}"));
                next_param += 1;
            }
            Token::SemiColon => {
                next_param = 1;
                chain = vec![0];
            }
            Token::LParen => chain.push(0),
            Token::RParen if chain.len() > 1 => {
                chain.pop();
            }
            tok if is_chaining_operator(tok) => {
                if let Some(n) = chain.last_mut() {
                    *n += 1;
                    if *n > MAX_OPERATORS_PER_LEVEL {
                        return Err(Error::Parse {
                            message: format!(
                                "more than {MAX_OPERATORS_PER_LEVEL} operators in one expression"
                            ),
                            location: Some(Location {
                                line: t.span.start.line,
                                column: t.span.start.column,
                            }),
                        });
                    }
                }
            }
            _ => {}
        }
    }
    reject_frame_exclusion(&tokens)?;
    Parser::new(&dialect)
        .with_tokens_with_locations(tokens)
        .parse_statements()
        .map_err(|e| match e {
            ParserError::RecursionLimitExceeded => Error::Parse {
                message: "statement nested too deeply".into(),
                location: None,
            },
            ParserError::TokenizerError(m) | ParserError::ParserError(m) => parse_error(sql, &m),
        })
}

/// sqlparser cannot parse a window frame's `EXCLUDE CURRENT ROW | GROUP | TIES | NO OTHERS`;
/// name it as unsupported rather than as a syntax error.
fn reject_frame_exclusion(tokens: &[sqlparser::tokenizer::TokenWithSpan]) -> Result<()> {
    use sqlparser::keywords::Keyword;
    let words = tokens.iter().filter_map(|t| match &t.token {
        Token::Word(w) => Some((w.keyword, t)),
        Token::Whitespace(_) => None,
        _ => Some((Keyword::NoKeyword, t)),
    });
    let mut prev = None;
    for (kw, t) in words {
        if prev == Some(Keyword::EXCLUDE) {
            let what = match kw {
                Keyword::CURRENT => "CURRENT ROW",
                Keyword::GROUP => "GROUP",
                Keyword::TIES => "TIES",
                Keyword::NO => "NO OTHERS",
                _ => "",
            };
            if !what.is_empty() {
                return Err(Error::Unsupported(format!(
                    "window frame EXCLUDE {what} (line {}, column {})",
                    t.span.start.line, t.span.start.column
                )));
            }
        }
        prev = Some(kw);
    }
    Ok(())
}

/// Most binary operators accepted at one parenthesis level of one statement.
const MAX_OPERATORS_PER_LEVEL: usize = 10_000;

fn is_chaining_operator(t: &Token) -> bool {
    use sqlparser::keywords::Keyword;
    match t {
        Token::Plus
        | Token::Minus
        | Token::Mul
        | Token::Div
        | Token::Mod
        | Token::StringConcat
        | Token::Eq
        | Token::Neq
        | Token::Lt
        | Token::Gt
        | Token::LtEq
        | Token::GtEq
        | Token::DoubleColon => true,
        Token::Word(w) => matches!(
            w.keyword,
            Keyword::AND | Keyword::OR | Keyword::IS | Keyword::LIKE
        ),
        _ => false,
    }
}

/// Splits sqlparser's `"... at Line: 3, Column: 7"` suffix off a message.
fn parse_error(sql: &str, message: &str) -> Error {
    const MARK: &str = " at Line: ";
    if let Some(pos) = message.rfind(MARK) {
        let tail = &message[pos + MARK.len()..];
        let mut parts = tail.split(", Column: ");
        let line = parts.next().and_then(|l| l.trim().parse::<u64>().ok());
        let column = parts.next().and_then(|c| c.trim().parse::<u64>().ok());
        if let (Some(line), Some(column)) = (line, column) {
            return Error::Parse {
                message: message[..pos].to_string(),
                location: Some(Location { line, column }),
            };
        }
    }
    Error::Parse {
        message: message.to_string(),
        location: Some(end_of(sql)),
    }
}

/// The position just past the last character of `sql`.
fn end_of(sql: &str) -> Location {
    let line = sql.lines().count().max(1) as u64;
    let column = if sql.ends_with('\n') {
        1
    } else {
        sql.lines().last().map_or(0, |l| l.chars().count()) as u64 + 1
    };
    let line = if sql.ends_with('\n') { line + 1 } else { line };
    Location { line, column }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_several_statements() {
        let stmts = parse("select 1; select 2;").unwrap();
        assert_eq!(stmts.len(), 2);
    }

    #[test]
    fn question_marks_become_numbered_placeholders() {
        let stmts = parse("select ? + ?, $1; select ?").unwrap();
        assert_eq!(stmts[0].to_string(), "SELECT $1 + $2, $1");
        assert_eq!(stmts[1].to_string(), "SELECT $1");
    }

    #[test]
    fn errors_carry_line_and_column() {
        match parse("select 1,\n  from t where") {
            Err(Error::Parse {
                location: Some(l),
                message,
            }) => {
                assert_eq!(l.line, 2, "{message}");
                assert!(l.column > 0);
            }
            other => panic!("unexpected {other:?}"),
        }
        match parse("select (1") {
            Err(Error::Parse {
                location: Some(l), ..
            }) => assert_eq!(l.line, 1),
            other => panic!("unexpected {other:?}"),
        }
        match parse("select 'abc") {
            Err(Error::Parse {
                location: Some(l), ..
            }) => assert_eq!(l.line, 1),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn huge_operator_chains_are_refused_before_parsing() {
        let sql = format!("select {}", vec!["1"; 200_000].join(" + "));
        let h = std::thread::Builder::new()
            .stack_size(1 << 20)
            .spawn(move || matches!(parse(&sql), Err(Error::Parse { .. })))
            .unwrap();
        assert!(h.join().unwrap());
        let values = format!(
            "insert into t values {}",
            vec!["(1 + 2, -3)"; 20_000].join(", ")
        );
        assert!(parse(&values).is_ok());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let sql = format!("select {}1{}", "(".repeat(5000), ")".repeat(5000));
        assert!(matches!(parse(&sql), Err(Error::Parse { .. })));
    }
}
