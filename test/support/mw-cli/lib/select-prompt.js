// mw's interactive select (its ProcessSelect, drawn by Ink): the question, the options, and a
// wait for arrow keys and Enter. Without a terminal there are no keys to read: like mw's, it then
// says that interactive input is required and keeps waiting, for an answer that never comes.
import { Box, render, Text, useInput, useStdin } from 'ink';
import React, { useState } from 'react';

const h = React.createElement;

function KeySelect({ options, onSelect }) {
  const [index, setIndex] = useState(0);
  useInput((_input, key) => {
    if (key.downArrow) setIndex((i) => Math.min(options.length - 1, i + 1));
    if (key.upArrow) setIndex((i) => Math.max(0, i - 1));
    if (key.return) onSelect(options[index].value);
  });
  return h(Box, { flexDirection: 'column', marginLeft: 4 }, ...options.map((option, i) => h(Text, { key: i }, `${i === index ? '> ' : '  '}${option.label}`)));
}

function Select({ question, options, onSelect }) {
  const { isRawModeSupported } = useStdin();
  return h(
    Box,
    { flexDirection: 'column' },
    h(Text, null, `? ${question}:`),
    isRawModeSupported
      ? h(KeySelect, { options, onSelect })
      : h(Text, null, "    interactive input required; inspect this command's --help page to learn how to pass the required input non-interactively."),
  );
}

/** resolves with the chosen option's value; without a terminal, never */
export function selectPrompt(question, options) {
  return new Promise((resolve) => {
    const app = render(
      h(Select, {
        question,
        options,
        onSelect: (value) => {
          app.unmount();
          resolve(value);
        },
      }),
    );
  });
}
